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
from caseflow.payments.models import KIND_LABELS, PaymentRoll, RollRow
from caseflow.payments.queries import Totals, roll_totals
from caseflow.payments.roll import load_roll


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
    rows: list[RollRow]  # live rows in roll order; 序号 is the position
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


def roll_print(session: Session, actor: Actor, roll_id: int) -> RollPrint:
    """The printable roll; CaseNotFound outside the actor's jurisdiction."""
    roll, case = load_roll(session, actor, roll_id)
    rows = session.scalars(
        select(RollRow)
        .where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
        .order_by(RollRow.id)
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
        totals=roll_totals(session, roll.id),
        by_kind=by_kind,
        signatories=[
            Signatory("编制", "乡镇经办人", _name(session, roll.prepared_by_id), roll.prepared_at),
            Signatory("审核", "乡镇领导", _name(session, checker), checked_at),
            Signatory("签发", "区财务（发放）", _name(session, roll.signed_by_id), roll.signed_at),
        ],
    )
