"""Supplementary rolls (补发名单): cases approved after a township's roll for a month was prepared
are paid for that month by a roll of their own — same check and sign-off, same risk checks —
instead of waiting until the month's roll is voided and prepared again.

A supplement lists only what no roll of the township holds for that month yet: the month's
payment of each 低保/特困 case without a row for it (a removed row counts as decided, it is
settled by the next regular roll's correction), and temporary assistance not yet on any roll.
Corrections of earlier months and manual adjustments stay with the next regular roll.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.timeutil import require_aware
from caseflow.payments.entitlement import Line, entitlement_lines, one_off_lines
from caseflow.payments.models import GRADUAL, MONTHLY, PaymentRoll, RollRow
from caseflow.payments.months import month_label
from caseflow.payments.roll import (
    live_roll,
    lock_township,
    lookback_months,
    open_roll,
    township_and_month,
)
from caseflow.workflow.registry import Registry, registry


def _on_a_roll(session: Session, township_id: int, month: str) -> set[int]:
    """Cases with a row for `month` in any live roll of the township, removed rows included."""
    return set(
        session.scalars(
            select(RollRow.case_id)
            .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
            .join(Case, Case.id == PaymentRoll.case_id)
            .where(
                PaymentRoll.township_id == township_id,
                RollRow.for_month == month,
                RollRow.case_id.is_not(None),
                Case.state != "cancelled",
            )
            .distinct()
        )
    )


def supplement_lines(session: Session, township: OrgUnit, month: str, lookback: int) -> list[Line]:
    """What a supplement for `month` pays: see the module's docstring."""
    listed = _on_a_roll(session, township.id, month)
    lines = [
        ln
        for ln in entitlement_lines(session, township.path, township.id, month)
        if ln.kind in (MONTHLY, GRADUAL)
        and ln.for_month == month
        and ln.amount_fen > 0
        and ln.case_id not in listed
    ]
    return lines + one_off_lines(session, township.path, township.id, month, lookback)


def _unchecked(session: Session, township_id: int, month: str) -> str | None:
    """The case number of a roll of the month still being prepared (not yet checked), if any."""
    return session.scalar(
        select(Case.case_no)
        .join(PaymentRoll, PaymentRoll.case_id == Case.id)
        .where(
            PaymentRoll.township_id == township_id,
            PaymentRoll.month == month,
            Case.state == "prepared",
        )
    )


def prepare_supplement(
    session: Session,
    actor: Actor,
    township_code: str,
    month_text: str,
    now: datetime,
    *,
    reg: Registry | None = None,
) -> PaymentRoll:
    """The next supplementary roll of a township for a month: one unit of work. Refused
    (PayloadInvalid, nothing written) without a live regular roll for the month, while a roll
    of the month is still unchecked (void and prepare it again instead), or with nothing to pay."""
    require_aware(now, "now")
    reg = reg or registry()
    with UnitOfWork(session) as uow:
        month, township = township_and_month(session, actor, township_code, month_text, reg)
        lock_township(session, township)
        label = f"{township.name}{month_label(month)}"
        if live_roll(session, township.id, month) is None:
            raise PayloadInvalid({"month": f"{label}尚未编制发放名册：请先编制当月名册"})
        pending = _unchecked(session, township.id, month)
        if pending is not None:
            raise PayloadInvalid(
                {"month": f"{label}的名册 {pending} 尚未审核：请作废后重新编制，不必另编补发名单"}
            )
        lines = supplement_lines(session, township, month, lookback_months(reg, township, now))
        if not lines:
            raise PayloadInvalid({"month": f"{label}没有需要补发的对象：已批准的案件均已列入名册"})
        number = session.scalar(
            select(func.coalesce(func.max(PaymentRoll.supplement_no), 0)).where(
                PaymentRoll.township_id == township.id, PaymentRoll.month == month
            )
        )
        roll = open_roll(session, reg, township, actor, now, month, int(number or 0) + 1, lines)
        uow.commit()
    return roll
