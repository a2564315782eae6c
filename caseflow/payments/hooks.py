"""The roll workflow's named guards and effects (registered when the registry loads), and the
code-side half of immutability: a signed roll's rows and findings refuse every ORM write."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper, Session

from caseflow.db.models import Case
from caseflow.db.record import CaseView
from caseflow.engine.fire import fire
from caseflow.engine.plugins import EffectContext, FireResult, GuardContext, Plugin
from caseflow.kernel.errors import CaseflowError
from caseflow.kernel.timeutil import to_local
from caseflow.payments.models import (
    ONE_OFF,
    RECOVERY_DEDUCTION,
    PaymentAdjustment,
    PaymentRoll,
    RiskFinding,
    RollRow,
)
from caseflow.payments.queries import roll_of_case, roll_totals
from caseflow.payments.risk import open_findings

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("payments")

log = logging.getLogger(__name__)


class RollSigned(CaseflowError):
    """A signed roll, its rows and its findings never change."""

    message_zh = "名册已签发，不能更改；更正请在以后月份的名册中作调整"


def _roll(session: Any, case: CaseView) -> PaymentRoll:
    roll = roll_of_case(session, case.id)
    if roll is None:
        raise CaseflowError("名册数据缺失", f"roll case {case.id} has no payment_rolls row")
    if roll.signed_at is not None:
        raise RollSigned()
    return roll


def _row(ctx: GuardContext | EffectContext, roll: PaymentRoll) -> RollRow | None:
    payload = ctx.payload or {}
    row = ctx.session.get(RollRow, int(payload.get("row_id") or 0))
    if row is None or row.roll_id != roll.id or row.removed_at is not None:
        return None
    return row


@plugin.guard("roll_row_live", needs_payload=True)
def roll_row_live(ctx: GuardContext) -> str | None:
    """The row to remove belongs to this roll and is still in it."""
    return None if _row(ctx, _roll(ctx.session, ctx.case)) else "名册中没有该行，或该行已移出"


def _finding(ctx: GuardContext | EffectContext, roll: PaymentRoll) -> RiskFinding | None:
    payload = ctx.payload or {}
    found = ctx.session.get(RiskFinding, int(payload.get("finding_id") or 0))
    if found is None or found.roll_id != roll.id or found.acknowledged_at is not None:
        return None
    return found


@plugin.guard("risk_finding_open", needs_payload=True)
def risk_finding_open(ctx: GuardContext) -> str | None:
    """The finding to acknowledge belongs to this roll and is still open."""
    ok = _finding(ctx, _roll(ctx.session, ctx.case))
    return None if ok else "该风险提示不存在或已确认"


@plugin.guard("roll_findings_acknowledged")
def roll_findings_acknowledged(ctx: GuardContext) -> str | None:
    """Sign-off waits until every finding is acknowledged or its row removed."""
    n = open_findings(ctx.session, _roll(ctx.session, ctx.case).id)
    return None if n == 0 else f"尚有 {n} 条风险提示未确认（或移出相应行），不能签发"


@plugin.guard("roll_totals_reconcile")
def roll_totals_reconcile(ctx: GuardContext) -> str | None:
    """The roll's stated total and count equal the sum and count of its live rows."""
    roll = _roll(ctx.session, ctx.case)
    t = roll_totals(ctx.session, roll.id)
    if (t.total_fen, t.rows) == (roll.total_fen, roll.row_count):
        return None
    return "名册合计与明细不符，请作废后重新编制"


@plugin.guard("roll_adjustment_live", needs_payload=True)
def roll_adjustment_live(ctx: GuardContext) -> str | None:
    """The row to withdraw is a manual adjustment (补发/扣回) still in this roll."""
    row = _row(ctx, _roll(ctx.session, ctx.case))
    ok = row is not None and row.adjustment_id is not None
    return None if ok else "名册中没有该调整行，或已移出"


def _take_out(ctx: EffectContext, roll: PaymentRoll, row: RollRow, reason: str) -> None:
    row.removed_at, row.removed_by_id = ctx.now, ctx.actor.user_id
    row.removed_reason = reason[:300]
    ctx.session.flush()
    t = roll_totals(ctx.session, roll.id)
    roll.total_fen, roll.row_count = t.total_fen, t.rows


@plugin.effect("remove_roll_row")
def remove_roll_row(ctx: EffectContext) -> None:
    """Take a row out of the roll (kept, marked removed, with who and why); totals follow."""
    roll = _roll(ctx.session, ctx.case)
    row = _row(ctx, roll)
    assert row is not None  # the guard checked it inside the same transaction
    _take_out(ctx, roll, row, str(ctx.payload.get("reason", "")))
    _release_deductions(ctx, roll, row.household_id)


def _release_deductions(ctx: EffectContext, roll: PaymentRoll, household_id: int) -> None:
    """A 追回 withheld from a payment that left the roll leaves with it: the household's lines
    never add up to less than zero (the recovery's balance comes back: its repayment counted
    only while the row was live)."""
    live = select(RollRow).where(
        RollRow.roll_id == roll.id,
        RollRow.household_id == household_id,
        RollRow.removed_at.is_(None),
    )
    rows = ctx.session.scalars(live).all()
    if sum(r.amount_fen for r in rows) >= 0:
        return
    for r in rows:
        if r.kind == RECOVERY_DEDUCTION:
            _take_out(ctx, roll, r, "该户保障金已移出名册，扣减随之移出")


@plugin.effect("withdraw_roll_adjustment")
def withdraw_roll_adjustment(ctx: EffectContext) -> None:
    """Withdraw the adjustment a row pays: the row leaves the roll and the adjustment is marked
    withdrawn, so no later roll picks it up again (a removed row alone would be re-rolled)."""
    roll = _roll(ctx.session, ctx.case)
    row = _row(ctx, roll)
    assert row is not None and row.adjustment_id is not None  # the guard checked it
    reason = str(ctx.payload.get("reason", "")).strip()
    _take_out(ctx, roll, row, f"调整已撤回：{reason}")
    adj = ctx.session.get(PaymentAdjustment, row.adjustment_id)
    assert adj is not None
    adj.withdrawn_at, adj.withdrawn_by_id = ctx.now, ctx.actor.user_id
    adj.withdrawn_reason = reason[:300]


@plugin.effect("acknowledge_risk_finding")
def acknowledge_risk_finding(ctx: EffectContext) -> None:
    """Record who acknowledged a finding and what they found (the event holds the same)."""
    found = _finding(ctx, _roll(ctx.session, ctx.case))
    assert found is not None
    found.acknowledged_at, found.acknowledged_by_id = ctx.now, ctx.actor.user_id
    found.acknowledgement = str(ctx.payload.get("note", ""))[:500]


@plugin.effect("seal_roll")
def seal_roll(ctx: EffectContext) -> None:
    """Sign-off: from this moment the roll, its rows and findings are frozen (triggers too)."""
    roll = _roll(ctx.session, ctx.case)
    roll.signed_at, roll.signed_by_id = ctx.now, ctx.actor.user_id


def _refuse_if_signed(_mapper: Mapper[Any], connection: Any, target: Any) -> None:
    roll_id = target.id if isinstance(target, PaymentRoll) else target.roll_id
    signed = connection.scalar(select(PaymentRoll.signed_at).where(PaymentRoll.id == roll_id))
    if signed is not None:
        raise RollSigned()


@plugin.setup
def refuse_changes_to_signed_rolls() -> None:
    """ORM listeners beside the database triggers: a signed roll's rows never change."""
    for cls in (RollRow, RiskFinding, PaymentRoll):
        event.listen(cls, "before_update", _refuse_if_signed)
        event.listen(cls, "before_delete", _refuse_if_signed)
    event.listen(RollRow, "before_insert", _refuse_if_signed)
    event.listen(RiskFinding, "before_insert", _refuse_if_signed)


@plugin.after_commit
def record_paid_one_offs(session: Session, result: FireResult) -> None:
    """When district finance signs a roll, the temporary-assistance cases it pays move from
    approved to paid (登记发放), each through fire() in its own transaction, as the signer, with
    the signing date as the payment date: the signed roll is the payment instruction the bank
    executes. A case that has moved on meanwhile (or any refusal) is left for the desk to record
    by hand; it never blocks the others or the signature. (The read below needs no ending:
    each fire() begins a unit of work, which ends it.)"""
    if result.trigger != "sign" or result.to_state != "signed":
        return
    roll = roll_of_case(session, result.case_id)
    if roll is None:
        return
    approved = session.scalars(
        select(Case.id)
        .join(RollRow, RollRow.case_id == Case.id)
        .where(
            RollRow.roll_id == roll.id,
            RollRow.kind == ONE_OFF,
            RollRow.removed_at.is_(None),
            Case.case_type == "temporary",
            Case.state == "approved",
        )
        .order_by(Case.id)
    ).all()
    paid_on = to_local(result.at).date()
    for case_id in approved:
        try:
            fire(session, case_id, "record_payment", result.actor, result.at, {"paid_on": paid_on})
        except CaseflowError as exc:
            log.warning("roll %s: case %s not recorded as paid: %s", roll.id, case_id, exc)
