"""追回: the months and amounts overpaid on a 低保 / 特困 case, from its entitlement history; the
recovery case (workflows/recovery.yaml) with its decision, repayments and balance.

Overpaid for a month = what the history made payable then, less what should have been paid
(`due_monthly_fen`: 0 when the household was not eligible at all; never below 0 for a month).
The district's decision can never exceed the overpaid total, nor a repayment the balance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import CaseFlags, create_case
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, PayloadInvalid
from caseflow.kernel.money import format_yuan, parse_yuan
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.oversight.models import CAUSES, Recovery, RecoveryPayment
from caseflow.payments.entitlement import live_roll_rows
from caseflow.payments.entitlements import amount_in, versions_of
from caseflow.payments.models import RECOVERY_DEDUCTION, Entitlement, RollRow
from caseflow.payments.months import add_months, parse_month
from caseflow.workflow.registry import Registry, registry
from caseflow.workflow.rulesets import RuleSet

plugin = Plugin("oversight.recovery")

WORKFLOW = "recovery"
FIELDS = ("case_no", "from_month", "to_month", "due_monthly", "cause")
MAX_MONTHS = 120


def overpaid_months(
    versions: list[Entitlement], first: str, last: str, due_fen: int
) -> list[list[Any]]:
    """[month, payable fen, overpaid fen] for each month from `first` to `last`."""
    rows: list[list[Any]] = []
    month = first
    while month <= last:
        paid = amount_in(versions, month)
        rows.append([month, paid, max(paid - due_fen, 0)])
        month = add_months(month, 1)
    return rows


def _months(form: dict[str, str], now: datetime, errors: dict[str, str]) -> tuple[str, str]:
    first = parse_month(form.get("from_month", ""))
    last = parse_month(form.get("to_month", ""))
    if first is None:
        errors["from_month"] = "请填写多发起始月份（如 2026-03）"
    if last is None:
        errors["to_month"] = "请填写多发截止月份（如 2026-06）"
    if first is None or last is None:
        return "", ""
    if first > last:
        errors["to_month"] = "截止月份不能早于起始月份"
    elif last > to_local(now).strftime("%Y-%m"):
        errors["to_month"] = "截止月份不能晚于本月"
    elif add_months(first, MAX_MONTHS) <= last:
        errors["to_month"] = "一次最多追回120个月"
    return first, last


def propose_recovery(
    session: Session,
    actor: Actor,
    form: dict[str, str],
    now: datetime,
    *,
    reg: Registry | None = None,
) -> Case:
    """The recovery case with its overpaid months, in one unit of work — or PayloadInvalid by
    field (nothing written)."""
    require_aware(now, "now")
    reg = reg or registry()
    errors: dict[str, str] = {}
    source = session.scalar(
        select(Case).where(
            Case.case_no == form.get("case_no", "").strip(),
            Case.case_type.in_(("dibao", "tekun")),
            in_jurisdiction(Case.org_path, actor),
        )
    )
    if source is None:
        errors["case_no"] = "低保或特困案件编号不存在或不在您的管辖范围内"
    first, last = _months(form, now, errors)
    due = 0
    try:
        due = parse_yuan(form.get("due_monthly", "").strip() or "0")
        if due < 0:
            errors["due_monthly"] = "应发金额不能为负数"
    except ValueError as exc:
        errors["due_monthly"] = str(exc)
    cause = form.get("cause", "")
    if cause not in CAUSES:
        errors["cause"] = "请选择追回原因"
    months: list[list[Any]] = []
    if not errors:
        assert source is not None
        months = overpaid_months(versions_of(session, [source.id])[source.id], first, last, due)
        if not any(over for _, _, over in months):
            errors["from_month"] = "所选月份没有多发金额（按发放历史，应发金额不低于实发）"
    if errors:
        raise PayloadInvalid(errors)
    assert source is not None and source.household_id is not None
    overpaid = sum(over for _, _, over in months)
    period = f"{first}至{last}，{CAUSES[cause]}"
    summary = f"追回{source.case_no}多发资金 {format_yuan(overpaid)} 元（{period}）"
    wf = reg.workflow(WORKFLOW)
    with UnitOfWork(session) as uow:
        facts = {"source_case_id": source.id, "source_case_no": source.case_no}
        case = create_case(
            session, reg, wf, source.household_id, actor, now, CaseFlags(), summary,
            {**facts, "overpaid_yuan": format_yuan(overpaid)},
        )  # fmt: skip
        session.add(
            Recovery(
                case_id=case.id,
                source_case_id=source.id,
                cause=cause,
                from_month=first,
                to_month=last,
                due_monthly_fen=due,
                overpaid_fen=overpaid,
                months=months,
            )
        )
        session.flush()
        uow.commit()
    return case


def recovery_of(session: Session, case_id: int) -> Recovery:
    """The facts of a recovery case (written with it)."""
    row = session.scalar(select(Recovery).where(Recovery.case_id == case_id))
    if row is None:
        raise CaseflowError("追回案件数据缺失", f"recovery case {case_id} has no row")
    return row


def counts_as_repaid() -> ColumnElement[bool]:
    """A repayment counts: received (no roll row), or withheld by a roll row that is still live
    (its roll not cancelled, the row not removed) — a cancelled roll gives the balance back."""
    live = live_roll_rows().with_only_columns(RollRow.id)
    return or_(RecoveryPayment.roll_row_id.is_(None), RecoveryPayment.roll_row_id.in_(live))


def repaid(session: Session, recovery_id: int) -> int:
    """Fen repaid so far."""
    total = session.scalar(
        select(func.sum(RecoveryPayment.amount_fen)).where(
            RecoveryPayment.recovery_id == recovery_id, counts_as_repaid()
        )
    )
    return int(total or 0)


def balance(session: Session, row: Recovery) -> int:
    """Fen still to be repaid (the decided amount less the repayments)."""
    return (row.decided_fen or 0) - repaid(session, row.id)


@plugin.guard("recovery_within_overpaid", needs_payload=True)
def recovery_within_overpaid(ctx: GuardContext) -> str | None:
    """Never recover more than the history shows was overpaid."""
    assert ctx.payload is not None
    row = recovery_of(ctx.session, ctx.case.id)
    amount = int(ctx.payload["amount_fen"])
    if amount <= 0:
        return "追回金额须大于0"
    if amount > row.overpaid_fen:
        most = format_yuan(row.overpaid_fen)
        return f"追回金额（{format_yuan(amount)} 元）不能超过多发金额（{most} 元）"
    return None


@plugin.effect("record_recovery_decision")
def record_recovery_decision(ctx: EffectContext) -> None:
    """The decided amount is what the balance counts down from."""
    recovery_of(ctx.session, ctx.case.id).decided_fen = int(ctx.payload["amount_fen"])


@plugin.guard("repayment_within_balance", needs_payload=True)
def repayment_within_balance(ctx: GuardContext) -> str | None:
    """A repayment is positive and no more than the balance."""
    assert ctx.payload is not None
    left = balance(ctx.session, recovery_of(ctx.session, ctx.case.id))
    amount = int(ctx.payload["amount_fen"])
    if amount <= 0:
        return "退款金额须大于0"
    if amount > left:
        return f"退款金额（{format_yuan(amount)} 元）超过待追回余额（{format_yuan(left)} 元）"
    return None


@plugin.effect("record_repayment_row")
def record_repayment_row(ctx: EffectContext) -> None:
    """The repayment, kept as a row (the balance is their sum's complement); one withheld by a
    roll names its roll row."""
    row = recovery_of(ctx.session, ctx.case.id)
    roll_row = ctx.payload.get("roll_row_id")
    ctx.session.add(
        RecoveryPayment(
            recovery_id=row.id,
            paid_on=date.fromisoformat(str(ctx.payload["paid_on"])),
            amount_fen=int(ctx.payload["amount_fen"]),
            recorded_by_id=ctx.actor.user_id,
            recorded_at=ctx.now,
            roll_row_id=int(roll_row) if roll_row else None,
        )
    )


def deduction_rule(ruleset: RuleSet) -> tuple[bool, int]:
    """Whether the rule set allows withholding a recovery from the rolls, and the largest share
    (%) of one month's payment a roll may withhold."""
    allowed = ruleset.params.get("recovery_roll_deduction_allowed") is True
    percent = int(ruleset.params.get("recovery_roll_deduction_max_percent") or 0)
    return allowed and 0 < percent <= 100, min(max(percent, 0), 100)


@plugin.guard("roll_deduction_allowed")
def roll_deduction_allowed(ctx: GuardContext) -> str | None:
    """Only where the case's rule set allows it, with a share above zero; the refusal names
    the rule and where its value comes from."""
    allowed, _ = deduction_rule(ctx.ruleset)
    if allowed:
        return None
    source = ctx.ruleset.source_of("recovery_roll_deduction_allowed") or "未注明出处"
    return (
        f"规则集「{ctx.ruleset.label}」不允许从发放名册扣减追回款"
        f"（recovery_roll_deduction_allowed，依据：{source}），请登记当事人退款"
    )


@plugin.guard("recovery_source_still_paid")
def recovery_source_still_paid(ctx: GuardContext) -> str | None:
    """A deduction needs a payment to withhold from: the source case pays this month."""
    row = recovery_of(ctx.session, ctx.case.id)
    month = to_local(ctx.now).strftime("%Y-%m")
    versions = versions_of(ctx.session, [row.source_case_id]).get(row.source_case_id, [])
    if versions and amount_in(versions, month) > 0:
        return None
    return "该户本月已不再领取保障金，无法从发放名册扣减，请登记当事人退款"


@plugin.guard("roll_deduction_row", needs_payload=True)
def roll_deduction_row(ctx: GuardContext) -> str | None:
    """A deduction is recorded only for a live roll row withholding exactly this amount for
    this recovery, and only once (so the action cannot be made up by hand)."""
    assert ctx.payload is not None
    found = ctx.session.scalar(
        live_roll_rows().where(
            RollRow.id == int(ctx.payload.get("roll_row_id") or 0),
            RollRow.case_id == ctx.case.id,
            RollRow.kind == RECOVERY_DEDUCTION,
            RollRow.amount_fen == -int(ctx.payload["amount_fen"]),
        )
    )
    taken = ctx.session.scalar(
        select(RecoveryPayment.id).where(RecoveryPayment.roll_row_id == (found.id if found else 0))
    )
    return None if found is not None and taken is None else "发放名册中没有相应的扣减行"


@plugin.guard("recovery_balance_cleared")
def recovery_balance_cleared(ctx: GuardContext) -> str | None:
    """Settled only when nothing is left to repay."""
    left = balance(ctx.session, recovery_of(ctx.session, ctx.case.id))
    return None if left <= 0 else f"尚有 {format_yuan(left)} 元未追回"
