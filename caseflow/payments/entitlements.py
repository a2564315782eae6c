"""The entitlement history: what each 低保/特困 case pays, month by month, and why.

One record per programme case, versioned (`payments.models.Entitlement`). Approval writes the
first version; a review's adjustment, 提标, a removal and 渐退 each write a newer one — always
inside fire(), through `record`. The roll, the reconciliation and every report of amounts read
this history and nothing else, so what is paid and what the rules computed cannot drift apart.

The version in force in month M is the newest one whose effective month is not after M (newest
by effective month, then by sequence): a version written later for an earlier month (a 提标 with
back pay) takes over from that month, and a version for a later month (a removal from next
month) waits for its month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case
from caseflow.kernel.actors import Actor
from caseflow.payments.models import STOP, Entitlement
from caseflow.payments.months import add_months, month_of


def first_paid_month(decided_at: datetime) -> str:
    """Payment starts the month after the decision (民发〔2021〕57号 第二十一条; 43号 第十七条)."""
    return add_months(month_of(decided_at), 1)


def versions_of(session: Session, case_ids: Iterable[int]) -> dict[int, list[Entitlement]]:
    """Every version of each case, oldest first."""
    ids = list(case_ids)
    found: dict[int, list[Entitlement]] = defaultdict(list)
    if not ids:
        return found
    rows = session.scalars(
        select(Entitlement).where(Entitlement.case_id.in_(ids)).order_by(Entitlement.seq)
    )
    for row in rows:
        found[row.case_id].append(row)
    return found


def in_force(versions: Sequence[Entitlement], month: str) -> Entitlement | None:
    """The version that decides `month`, or None before the first one takes effect."""
    best: Entitlement | None = None
    for v in versions:
        if v.effective_month <= month and (
            best is None or (v.effective_month, v.seq) > (best.effective_month, best.seq)
        ):
            best = v
    return best


def amount_in(versions: Sequence[Entitlement], month: str) -> int:
    """Fen payable for `month` (0 before the first version and after a stop)."""
    version = in_force(versions, month)
    return 0 if version is None or version.kind == STOP else version.amount_fen


def latest(session: Session, case_id: int) -> Entitlement | None:
    """The newest version written (by sequence), whatever month it takes effect."""
    return session.scalars(
        select(Entitlement)
        .where(Entitlement.case_id == case_id)
        .order_by(Entitlement.seq.desc())
        .limit(1)
    ).first()


def granted_entitlement(session: Session, case_id: int) -> Entitlement | None:
    """The version the case's approval wrote (for its decision notice)."""
    return session.scalars(
        select(Entitlement)
        .where(Entitlement.case_id == case_id, Entitlement.source_case_id == case_id)
        .order_by(Entitlement.seq)
        .limit(1)
    ).first()


def record(
    session: Session,
    case: Case,
    *,
    kind: str,
    effective_month: str,
    amount_fen: int,
    computed_fen: int,
    source_case: Case,
    trigger: str,
    actor: Actor,
    at: datetime,
    components: dict[str, Any] | None = None,
    covered_member_ids: Sequence[int] = (),
    aid_class: str | None = None,
    care_level: str | None = None,
    policy_effective_from: date | None = None,
    standard_fen: int | None = None,
    basis: dict[str, Any] | None = None,
    deviation_reason: str = "",
) -> Entitlement:
    """Append the next version of `case`'s entitlement (called by effects inside fire())."""
    assert case.household_id is not None  # programme cases are about a household
    if amount_fen < 0 or computed_fen < 0:
        raise ValueError("an entitlement is never negative")
    newest = session.scalar(select(func.max(Entitlement.seq)).where(Entitlement.case_id == case.id))
    version = Entitlement(
        case_id=case.id,
        seq=(newest or 0) + 1,
        household_id=case.household_id,
        org_path=case.org_path,
        programme=case.case_type,
        kind=kind,
        effective_month=effective_month,
        amount_fen=amount_fen,
        computed_fen=computed_fen,
        components=dict(components or {}),
        covered_member_ids=sorted(covered_member_ids),
        aid_class=aid_class,
        care_level=care_level,
        policy_effective_from=policy_effective_from,
        standard_fen=standard_fen,
        basis=dict(basis or {}),
        deviation_reason=deviation_reason,
        source_case_id=source_case.id,
        trigger=trigger,
        recorded_by_id=actor.user_id,
        at=at,
    )
    session.add(version)
    session.flush()
    return version


# Where a 集中供养 version's money goes (caseflow.institutions writes it on admission): every later
# version written from the terms in force (a review's adjustment, 渐退, 提标) keeps it, until 出院
# or a death writes the next placement.
PLACEMENT_KEYS = ("setting", "institution_id", "institution", "bed_no", "resident")


def placement_of(version: Entitlement) -> dict[str, Any]:
    """The institution a version pays (集中供养), as basis keys; empty for a person at home."""
    if not version.basis.get("institution_id"):
        return {}
    return {k: version.basis[k] for k in PLACEMENT_KEYS if k in version.basis}


def months_between(first: str, last: str) -> list[str]:
    """`first` … `last` inclusive ("YYYY-MM"); empty when first > last."""
    out: list[str] = []
    month = first
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out
