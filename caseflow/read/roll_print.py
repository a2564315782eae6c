"""A roll as printed for stamping: its live rows numbered 1..N, totals by kind, and who prepared,
checked and signed it, when. Found inside the actor's jurisdiction (load_roll) before anything of
it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, CaseEvent, OrgUnit, User
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.payments.models import KIND_LABELS, PaymentRoll, RollRow
from caseflow.payments.queries import Totals, roll_totals
from caseflow.payments.roll import load_roll

# Rows per printed part (分册): a PDF of 2,000 rows takes about 12 s of CPU; a larger roll is
# printed in parts, each numbered on from the last and each with the totals and the boxes.
PART_ROWS = 2000


@dataclass(frozen=True)
class Signatory:
    """One step of the roll's check and sign chain, as its signature box shows it."""

    step: str  # 编制 / 审核 / 签发
    role: str  # who signs there
    name: str  # empty while the step is not done
    at: datetime | None


@dataclass(frozen=True)
class KindTotal:
    label: str
    rows: int
    total_fen: int


@dataclass(frozen=True)
class RollPrint:
    roll: PaymentRoll
    case: Case
    township: str
    rows: list[RollRow]  # this part's live rows in roll order
    first_no: int  # 序号 of the part's first row (rows are numbered 1..N across the roll)
    part: int
    parts: int
    totals: Totals
    by_kind: list[KindTotal]
    signatories: list[Signatory]


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    return session.scalar(select(User.display_name).where(User.id == user_id)) or ""


def _last_check(session: Session, case_id: int) -> tuple[int | None, datetime | None]:
    """The leader's check the roll stands on now: the latest one (a change after a check sends
    the roll back, and it is checked again)."""
    found = session.execute(
        select(CaseEvent.actor_id, CaseEvent.at)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger == "check")
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()
    if found is None:
        return None, None
    return found[0], found[1]


def roll_print(
    session: Session, actor: Actor, roll_id: int, part: int = 1, per_part: int | None = None
) -> RollPrint:
    """Part `part` (from 1) of the printable roll; CaseNotFound outside the actor's jurisdiction
    or past the last part."""
    per_part = per_part or PART_ROWS
    roll, case = load_roll(session, actor, roll_id)
    totals = roll_totals(session, roll.id)
    parts = max(1, -(-totals.rows // per_part))
    if not 1 <= part <= parts:
        raise CaseNotFound("名册没有这一册")
    rows = session.scalars(
        select(RollRow)
        .where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
        .order_by(RollRow.id)
        .offset((part - 1) * per_part)
        .limit(per_part)
    ).all()
    kinds = dict(
        (kind, (int(n), int(fen)))
        for kind, n, fen in session.execute(
            select(RollRow.kind, func.count(RollRow.id), func.sum(RollRow.amount_fen))
            .where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
            .group_by(RollRow.kind)
        ).all()
    )
    by_kind = [KindTotal(label, *kinds[k]) for k, label in KIND_LABELS.items() if k in kinds]
    checked = case.state in ("checked", "signed")
    checker, checked_at = _last_check(session, case.id) if checked else (None, None)
    township = session.scalar(select(OrgUnit.name).where(OrgUnit.id == roll.township_id)) or ""
    return RollPrint(
        roll=roll,
        case=case,
        township=township,
        rows=list(rows),
        first_no=(part - 1) * per_part + 1,
        part=part,
        parts=parts,
        totals=totals,
        by_kind=by_kind,
        signatories=[
            Signatory("编制", "乡镇经办人", _name(session, roll.prepared_by_id), roll.prepared_at),
            Signatory("审核", "乡镇领导", _name(session, checker), checked_at),
            Signatory("签发", "区财务（发放）", _name(session, roll.signed_by_id), roll.signed_at),
        ],
    )
