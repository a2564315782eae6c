"""A payment roll's page: one page of its rows, its totals and risk findings, and what the actor
may do with it now; and one row of a roll, for a correction. The roll is found inside the actor's
jurisdiction (caseflow.payments.roll.load_roll) before anything of it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case
from caseflow.engine.fire import AvailableTransition, available_transitions
from caseflow.kernel.actors import Actor
from caseflow.payments.models import PaymentRoll, RiskFinding, RollRow
from caseflow.payments.queries import Totals, roll_totals
from caseflow.payments.risk import open_findings
from caseflow.payments.roll import load_roll


@dataclass(frozen=True)
class RollPage:
    roll: PaymentRoll
    case: Case
    rows: list[RollRow]  # this page's, removed ones included
    numbers: dict[int, int]  # row id → 序号 (1..N over the live rows of the whole roll)
    pages: int
    totals: Totals  # of the live rows
    findings: list[RiskFinding]
    removed: set[int]  # ids of removed rows
    open_findings: int
    actions: list[AvailableTransition]  # blocked ones included, with the reason
    same_month: list[tuple[int, int, str]]  # other live rolls of the month


def roll_page(
    session: Session, actor: Actor, roll_id: int, page: int, per_page: int, now: datetime
) -> RollPage:
    """Page `page` (from 1) of the roll; CaseNotFound outside the actor's jurisdiction."""
    roll, case = load_roll(session, actor, roll_id)
    rows = session.scalars(
        select(RollRow)
        .where(RollRow.roll_id == roll.id)
        .order_by(RollRow.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    findings = session.scalars(
        select(RiskFinding).where(RiskFinding.roll_id == roll.id).order_by(RiskFinding.id)
    ).all()
    removed = set(
        session.scalars(
            select(RollRow.id).where(RollRow.roll_id == roll.id, RollRow.removed_at.is_not(None))
        )
    )
    totals = roll_totals(session, roll.id)
    return RollPage(
        roll=roll,
        case=case,
        rows=list(rows),
        numbers=serial_numbers(session, roll.id, list(rows)),
        pages=max(1, -(-(totals.rows + len(removed)) // per_page)),
        totals=totals,
        findings=list(findings),
        removed=removed,
        open_findings=open_findings(session, roll.id),
        actions=available_transitions(session, case, actor, now, include_blocked=True),
        same_month=_same_month(session, roll),
    )


def _same_month(session: Session, roll: PaymentRoll) -> list[tuple[int, int, str]]:
    """The township's other live rolls of the roll's month (the regular roll and supplements)."""
    found = session.execute(
        select(PaymentRoll.id, PaymentRoll.supplement_no, Case.case_no)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            PaymentRoll.township_id == roll.township_id,
            PaymentRoll.month == roll.month,
            PaymentRoll.id != roll.id,
            Case.state != "cancelled",
        )
        .order_by(PaymentRoll.supplement_no)
    ).all()
    return [(rid, no, case_no) for rid, no, case_no in found]


def serial_numbers(session: Session, roll_id: int, rows: list[RollRow]) -> dict[int, int]:
    """序号 of the live rows among `rows` (one page, in id order): numbered from 1 across the
    whole roll, counting the live rows before the page; removed rows get none."""
    if not rows:
        return {}
    before = session.scalar(
        select(func.count(RollRow.id)).where(
            RollRow.roll_id == roll_id,
            RollRow.removed_at.is_(None),
            RollRow.id < rows[0].id,
        )
    )
    numbers: dict[int, int] = {}
    n = int(before or 0)
    for row in rows:
        if row.removed_at is None:
            n += 1
            numbers[row.id] = n
    return numbers


def roll_row(
    session: Session, actor: Actor, roll_id: int, row_id: int | None
) -> tuple[PaymentRoll, RollRow | None]:
    """The roll (CaseNotFound outside the jurisdiction) and its row `row_id`, None when the
    roll has no such row."""
    roll, _case = load_roll(session, actor, roll_id)
    if row_id is None:
        return roll, None
    row = session.scalar(select(RollRow).where(RollRow.id == row_id, RollRow.roll_id == roll.id))
    return roll, row
