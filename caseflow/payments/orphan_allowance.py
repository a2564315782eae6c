"""The monthly allowance of a 孤儿 / 事实无人抚养儿童 case (workflows/orphan.yaml): granted on the
district's approval at the standard in force (caseflow.policy.orphans, 集中养育 or 社会散居 as the
window accepted), stopped on adoption, majority or a change of situation. It is an entitlement like
低保/特困, so the monthly roll pays it to the household where the child lives."""

from __future__ import annotations

from caseflow.casework.orphans import application
from caseflow.engine.plugins import EffectContext, Plugin
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.models import GRANT, STOP
from caseflow.policy.orphans import monthly_allowance_fen, standard_on

plugin = Plugin("payments.orphan_allowance")


@plugin.effect("grant_orphan_allowance")
def grant_orphan_allowance(ctx: EffectContext) -> None:
    """The monthly allowance at the standard in force, paid from the month after approval."""
    app = application(ctx.session, ctx.case.id)
    day = to_local(ctx.now).date()
    amount = monthly_allowance_fen(app["setting"], day)
    standard = standard_on(day)
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
        policy_effective_from=standard.effective_from,
        basis={
            "category": app["category_zh"],
            "setting": app["setting_zh"],
            "standard": standard.basis,
            "example_standard": standard.example,
        },
    )


@plugin.effect("stop_orphan_allowance")
def stop_orphan_allowance(ctx: EffectContext) -> None:
    """Nothing is paid from the month after the adoption, majority or change."""
    current = entitlements.latest(ctx.session, ctx.case.id)
    if current is None or current.kind == STOP:
        return
    entitlements.record(
        ctx.session,
        ctx.case,
        kind=STOP,
        effective_month=entitlements.first_paid_month(ctx.now),
        amount_fen=0,
        computed_fen=0,
        source_case=ctx.case,
        trigger="stop",
        actor=ctx.actor,
        at=ctx.now,
        covered_member_ids=current.covered_member_ids,
        basis={k: str(v) for k, v in ctx.payload.items()},
    )
