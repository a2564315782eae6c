"""Payment history of a case or a household: every row of a live roll that paid it (month,
amount, roll, status), newest first. Rolls are read inside the actor's jurisdiction (in SQL);
voided rolls paid nothing and are left out, removed rows are shown as removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.payments.models import KIND_LABELS, PaymentRoll, RollRow
from caseflow.workflow.registry import registry

# Case types a roll pays: their case page shows the history even while it is empty.
PAID_CASE_TYPES = frozenset({"dibao", "tekun", "temporary"})
LIMIT = 120  # ten years of monthly rows; older ones are in the rolls themselves


@dataclass(frozen=True)
class PaymentLine:
    """One row of a roll as the case and household pages show it."""

    for_month: str
    kind_label: str
    amount_fen: int
    roll_id: int
    roll_no: str
    roll_month: str
    supplement_no: int
    status: str  # 已签发 / the roll's state / 已移出：reason
    paid: bool  # in a signed roll and not removed


@dataclass(frozen=True)
class PaymentHistory:
    lines: list[PaymentLine]
    paid_fen: int  # sum of the paid lines shown
    truncated: bool


def _history(session: Session, actor: Actor, where: Any) -> PaymentHistory:
    states = registry().workflow("roll").states
    found = session.execute(
        select(RollRow, PaymentRoll, Case.case_no, Case.state)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(where, Case.state != "cancelled", in_jurisdiction(PaymentRoll.org_path, actor))
        .order_by(RollRow.for_month.desc(), PaymentRoll.month.desc(), RollRow.id.desc())
        .limit(LIMIT + 1)
    ).all()
    lines: list[PaymentLine] = []
    for row, roll, roll_no, state in found[:LIMIT]:
        paid = roll.signed_at is not None and row.removed_at is None
        if row.removed_at is not None:
            status = f"已移出：{row.removed_reason}" if row.removed_reason else "已移出"
        else:
            status = "已签发" if paid else states[state].label
        lines.append(
            PaymentLine(
                for_month=row.for_month,
                kind_label=KIND_LABELS.get(row.kind, row.kind),
                amount_fen=row.amount_fen,
                roll_id=roll.id,
                roll_no=roll_no,
                roll_month=roll.month,
                supplement_no=roll.supplement_no,
                status=status,
                paid=paid,
            )
        )
    total = sum(ln.amount_fen for ln in lines if ln.paid)
    return PaymentHistory(lines, total, len(found) > LIMIT)


def case_payment_history(session: Session, actor: Actor, case: Case) -> PaymentHistory | None:
    """The rows that paid `case`; None for a case type no roll pays (nothing to show)."""
    if case.case_type not in PAID_CASE_TYPES:
        return None
    return _history(session, actor, RollRow.case_id == case.id)


def household_payment_history(session: Session, actor: Actor, household_id: int) -> PaymentHistory:
    """The rows that paid the household, whichever case they belong to."""
    return _history(session, actor, RollRow.household_id == household_id)
