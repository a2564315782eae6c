"""The monthly allowance of a 孤儿 / 事实无人抚养儿童 case (workflows/orphan.yaml): granted on the
district's approval at the standard in force on that day (the `orphans` section of the dated
policy configuration, 集中养育 or 社会散居 as the window accepted), stopped from the month after
an adoption or a change of situation, and at majority from the month after the 18th birthday's
month. It is an entitlement like 低保/特困, so the monthly roll pays it to the household where
the child lives."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from caseflow.casework.orphans import application, majority_month
from caseflow.db.models import OrgUnit
from caseflow.engine.plugins import EffectContext, Plugin
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.models import GRANT, STOP
from caseflow.payments.months import add_months
from caseflow.policy.config import OrphanStandard, PolicyConfig
from caseflow.policy.store import policy_table, region_of

plugin = Plugin("payments.orphan_allowance")


def orphan_standard_for(
    session: Session, org_unit_id: int, day: date
) -> tuple[PolicyConfig, OrphanStandard]:
    """The 孤儿 allowance in force on `day` in the region of the case's unit, with the dated
    configuration that set it (NoPolicyInForce, in Chinese, when none was entered)."""
    unit = session.get(OrgUnit, org_unit_id)
    assert unit is not None  # a foreign key
    return policy_table(session, region_of(unit.code)).orphan_standard(day)


@plugin.effect("grant_orphan_allowance")
def grant_orphan_allowance(ctx: EffectContext) -> None:
    """The monthly allowance at the standard in force on the approval date, paid from the month
    after approval."""
    app = application(ctx.session, ctx.case.id)
    day = to_local(ctx.now).date()
    config, standard = orphan_standard_for(ctx.session, ctx.case.org_unit_id, day)
    amount = standard.monthly_fen(app["setting"])
    entitlements.record(
        ctx.session,
        ctx.case,
        kind=GRANT,
        effective_month=entitlements.first_paid_month(ctx.now),
        amount_fen=amount,
        computed_fen=amount,
        source_case=ctx.case,
        trigger="approve",
        actor=ctx.actor,
        at=ctx.now,
        covered_member_ids=[int(app["child_member_id"])],
        policy_effective_from=config.effective_from,
        standard_fen=amount,
        basis={
            "category": app["category_zh"],
            "setting": app["setting_zh"],
            "standard": standard.basis,
            "source": standard.source,
            "policy": config.describe_zh(),
            "example_standard": config.is_example,
        },
    )


@plugin.effect("stop_orphan_allowance")
def stop_orphan_allowance(ctx: EffectContext) -> None:
    """Nothing is paid from the month after the adoption or change."""
    _stop(ctx, entitlements.first_paid_month(ctx.now))


@plugin.effect("stop_orphan_allowance_at_majority")
def stop_orphan_allowance_at_majority(ctx: EffectContext) -> None:
    """At 18 the allowance is paid through the month of the 18th birthday and stops from the
    next month (the month rule is 待核实: 民发〔2019〕62号 covers children 未满18周岁 and names no
    stopping month; local rules read "年满18周岁的次月起停发"). The month follows the birthday,
    not the day the case was ended: when the timer ended it late, the next regular roll deducts
    what was paid for months after the birthday month (按保障记录扣减)."""
    month = majority_month(ctx.session, ctx.case.id)
    first = entitlements.first_paid_month(ctx.now)
    _stop(ctx, first if month is None else min(add_months(month, 1), first))


def _stop(ctx: EffectContext, effective_month: str) -> None:
    current = entitlements.latest(ctx.session, ctx.case.id)
    if current is None or current.kind == STOP:
        return
    entitlements.record(
        ctx.session,
        ctx.case,
        kind=STOP,
        effective_month=effective_month,
        amount_fen=0,
        computed_fen=0,
        source_case=ctx.case,
        trigger="stop",
        actor=ctx.actor,
        at=ctx.now,
        covered_member_ids=current.covered_member_ids,
        basis={k: str(v) for k, v in ctx.payload.items()},
    )
