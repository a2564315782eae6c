"""Named effects and guards that tie cases to review schedules, referenced from workflow YAML.

They run inside engine.fire's transaction, so a schedule never disagrees with the case that
changed it: approval plans the first review, each review outcome plans the next, and a removal
that takes effect ends the plan. A review that ends in removal opens the removal case in the
same transaction, through the engine's own case creation.
"""

from __future__ import annotations

from caseflow.casework import corrections
from caseflow.casework.assessments import covered_members_result, latest_assessment
from caseflow.db.models import Household
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.grants import programme_cases_in_payment
from caseflow.reviews.models import PROGRAMME_LABELS
from caseflow.reviews.on_change import review_on_change
from caseflow.reviews.schedule import (
    Terms,
    end_schedules,
    last_payload,
    plan_after_approval,
    record_review,
    review_class_of,
    review_programme,
    schedule_of,
)

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("reviews")


@plugin.setup
def _review_household_changes() -> None:
    """A change to a household in payment opens its review (casework knows nothing of it)."""
    corrections.listen(review_on_change)


def _household(ctx: EffectContext | GuardContext) -> Household:
    household = ctx.session.get(Household, ctx.case.household_id)
    assert household is not None  # every 低保/特困/review case is about a household
    return household


def _entitled(ctx: EffectContext, case_id: int) -> tuple[int | None, int | None]:
    """Covered persons and monthly amount of the case's newest entitlement (written by the
    grant or adjustment effect that runs before this one)."""
    version = entitlements.latest(ctx.session, case_id)
    if version is None:
        return None, None
    return len(version.covered_member_ids) or None, version.amount_fen


@plugin.effect("plan_review")
def plan_review(ctx: EffectContext) -> None:
    """A 低保 or 特困 case approved: the first periodic review is planned by class."""
    programme = ctx.case.case_type
    aid_class = ctx.payload.get("aid_class")
    if programme == "dibao" and not aid_class:
        row = latest_assessment(ctx.session, ctx.case, "means_test")
        aid_class = row.aid_class if row is not None else None
    terms = Terms(review_class_of(programme, aid_class), *_entitled(ctx, ctx.case.id))
    plan_after_approval(
        ctx.session,
        _household(ctx),
        programme,
        terms,
        ctx.ruleset,
        ctx.case.id,
        to_local(ctx.now).date(),
        ctx.now,
    )


def _complete(ctx: EffectContext, new_terms: Terms | None = None) -> None:
    programme = review_programme(ctx.session, ctx.case)
    if programme is None:
        return  # a household reviewed by hand without a plan: nothing to move
    row = schedule_of(ctx.session, ctx.case.household_id or 0, programme)
    if row is None:
        return
    record_review(row, ctx.case.id, ctx.ruleset, to_local(ctx.now).date(), ctx.now, new_terms)


@plugin.effect("review_unchanged")
def review_unchanged(ctx: EffectContext) -> None:
    """维持不变: the next review moves one interval on from today."""
    _complete(ctx)


@plugin.effect("review_adjusted")
def review_adjusted(ctx: EffectContext) -> None:
    """确认调整: the proposed class, covered persons and amount take effect; the next review
    follows the new class's interval."""
    proposed = last_payload(ctx.session, ctx.case.id, "propose_adjustment") or {}
    programme = review_programme(ctx.session, ctx.case)
    if programme is None:
        return  # a household reviewed by hand without a plan: nothing to move
    aid_class = proposed.get("aid_class") or None
    if programme == "dibao" and aid_class is None:
        row = schedule_of(ctx.session, ctx.case.household_id or 0, programme)
        aid_class = row.review_class if row is not None else None
    in_payment = programme_cases_in_payment(ctx.session, ctx.case.household_id or 0)
    covered, amount = _entitled(ctx, in_payment[0].id) if in_payment else (None, None)
    review_class = review_class_of(programme, str(aid_class) if aid_class else None)
    _complete(ctx, Terms(review_class, covered, amount))


@plugin.effect("review_starts_removal")
def review_starts_removal(ctx: EffectContext) -> None:
    """转入停保程序: the review is complete and a removal case is opened for the household,
    in this same transaction, by the same person (who must be allowed to open removals)."""
    from caseflow.engine.fire import CaseFlags, create_case  # the engine imports the registry
    from caseflow.workflow.registry import registry

    _complete(ctx)
    programme = review_programme(ctx.session, ctx.case)
    label = PROGRAMME_LABELS.get(programme or "", "救助")
    reason = str(ctx.payload.get("reason", ""))
    reg = registry()
    create_case(
        ctx.session,
        reg,
        reg.by_case_type("removal"),
        ctx.case.household_id or 0,
        ctx.actor,
        ctx.now,
        CaseFlags(staff_relative=ctx.case.flag_staff_relative),
        f"{label}复核转入停保（{ctx.case.case_no}）：{reason}"[:300],
        {"from_review_case_id": ctx.case.id, "from_review_case_no": ctx.case.case_no},
    )


@plugin.effect("end_review_schedule")
def end_review_schedule(ctx: EffectContext) -> None:
    """停保 took effect: the household is no longer reviewed."""
    end_schedules(ctx.session, ctx.case.household_id or 0, to_local(ctx.now).date(), ctx.now)


@plugin.guard("review_assessment_supports_keeping")
def review_assessment_supports_keeping(ctx: GuardContext) -> str | None:
    """Support can be kept (unchanged or adjusted) only if the review's own assessment found the
    household still eligible; otherwise the review must start a removal."""
    row = latest_assessment(ctx.session, ctx.case)
    if row is None:
        return "本次复核没有家庭经济状况核对结果"
    if row.outcome == "ineligible":
        return "复核核对结果为不符合保障条件，应转入停保程序"
    return None


@plugin.guard("review_adjustment_rule", needs_payload=True)
def review_adjustment_rule(ctx: GuardContext) -> str | None:
    """低保: an adjustment names the class and covered members, under the 分类施保 rule and the
    single-person route (57号 第八条). 特困 has no A/B/C: its amount follows its assessment."""
    assert ctx.payload is not None
    if review_programme(ctx.session, ctx.case) == "tekun":
        return None
    aid_class, covered = ctx.payload.get("aid_class"), ctx.payload.get("covered_members") or []
    if not aid_class or not covered:
        return "低保复核调整须填写调整后类别和保障对象"
    day = to_local(ctx.now).date()
    result = covered_members_result(ctx.session, ctx.case, str(aid_class), list(covered), day)
    return None if result.passed else f"{result.label_zh}：{result.detail_zh}"
