"""Small reads of a roll shared by the service, the workflow hooks and the web (no engine imports,
so the registry can load the hooks without a cycle)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.payments.models import PaymentRoll, RollRow


@dataclass(frozen=True)
class Totals:
    rows: int
    households: int
    total_fen: int


def roll_totals(session: Session, roll_id: int) -> Totals:
    """Count, households and total of the live (not removed) rows, straight from the rows."""
    rows, households, total = session.execute(
        select(
            func.count(RollRow.id),
            func.count(func.distinct(RollRow.household_id)),
            func.coalesce(func.sum(RollRow.amount_fen), 0),
        ).where(RollRow.roll_id == roll_id, RollRow.removed_at.is_(None))
    ).one()
    return Totals(int(rows), int(households), int(total))


def roll_of_case(session: Session, case_id: int) -> PaymentRoll | None:
    """The roll a roll case stands for."""
    return session.scalar(select(PaymentRoll).where(PaymentRoll.case_id == case_id))
