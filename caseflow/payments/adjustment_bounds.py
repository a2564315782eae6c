"""How far a manual adjustment (补发 / 扣回) of one case and month may go, by the record.

Differences between the entitlement history and what the rolls paid are corrected by the next
roll on its own (CORRECTION rows, caseflow.payments.entitlement); a manual adjustment is for
what the record cannot see — a payment the bank returned, money paid twice or to a wrong
account. So it is bounded by the month it names:

- due: what the month pays by the record — the entitlement history's amount for that month
  (低保/特困), else what the rolls put down for the case that month (temporary assistance);
- paid: what live rolls (not cancelled, row not removed) hold for the case and month, manual
  adjustments apart;
- adjusted: the month's adjustments registered so far and not withdrawn.

A 补发 re-pays at most one month: the month's 补发 together never exceed `due`. A 扣回
recovers at most what was paid: `paid + adjusted` never goes below zero. Sums are taken in
Python, so an oversized value stored before these bounds cannot overflow the query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from caseflow.db.models import Case
from caseflow.kernel.money import format_yuan
from caseflow.payments.entitlements import amount_in, versions_of
from caseflow.payments.models import ADJUSTMENT, PaymentAdjustment, PaymentRoll, RollRow


@dataclass(frozen=True)
class MonthRecord:
    """One case's month as the record has it (fen)."""

    due_fen: int
    paid_fen: int
    repaid_fen: int  # 补发 registered so far (not withdrawn)
    recovered_fen: int  # 扣回 registered so far (not withdrawn), as a positive number


def _same_case(
    column: InstrumentedAttribute[int | None], case_id: int | None
) -> ColumnElement[bool]:
    return column.is_(None) if case_id is None else column == case_id


def month_record(
    session: Session, household_id: int, case_id: int | None, month: str
) -> MonthRecord:
    """The record of `case_id` (None: the household's payments without a case) in `month`."""
    paid_rows = session.scalars(
        select(RollRow.amount_fen)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            RollRow.household_id == household_id,
            _same_case(RollRow.case_id, case_id),
            RollRow.for_month == month,
            RollRow.kind != ADJUSTMENT,
            RollRow.removed_at.is_(None),
            Case.state != "cancelled",
        )
    ).all()
    adjustments = session.scalars(
        select(PaymentAdjustment.amount_fen).where(
            PaymentAdjustment.household_id == household_id,
            _same_case(PaymentAdjustment.case_id, case_id),
            PaymentAdjustment.for_month == month,
            PaymentAdjustment.withdrawn_at.is_(None),
        )
    ).all()
    paid = sum(int(a) for a in paid_rows)
    history = versions_of(session, [case_id]).get(case_id) if case_id is not None else None
    due = amount_in(history, month) if history else paid
    return MonthRecord(
        due_fen=due,
        paid_fen=paid,
        repaid_fen=sum(int(a) for a in adjustments if a > 0),
        recovered_fen=-sum(int(a) for a in adjustments if a < 0),
    )


def refusal(record: MonthRecord, amount_fen: int) -> str | None:
    """Why `amount_fen` (补发 > 0, 扣回 < 0) goes beyond the month's record, or None."""
    if amount_fen > 0:
        room = record.due_fen - record.repaid_fen
        if amount_fen > room:
            return (
                f"补发不能超过该月按保障记录应发的金额：应发 {format_yuan(record.due_fen)} 元，"
                f"已登记补发 {format_yuan(record.repaid_fen)} 元，"
                f"最多还可补发 {format_yuan(max(room, 0))} 元"
            )
    elif amount_fen < 0:
        room = record.paid_fen + record.repaid_fen - record.recovered_fen
        if -amount_fen > room:
            return (
                f"扣回不能超过该月已发的金额：已发 {format_yuan(record.paid_fen)} 元"
                f"（含已登记调整后 {format_yuan(room)} 元），"
                f"最多可扣回 {format_yuan(max(room, 0))} 元"
            )
    return None
