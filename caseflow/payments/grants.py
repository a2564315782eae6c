"""Where decisions become entitlements: the guards and effects of approval, deviation, review
adjustment, removal and 渐退 that write the entitlement history (caseflow.payments.entitlements).

Amounts are computed, never typed: an approval names who is covered and the class; the amount
comes from the rules (低保: 民发〔2021〕57号 and the district's standard, gap method or class
amounts plus top-ups; 特困: basic living ≥ the configured ratio × the 低保 standard, plus the care
allowance of the assessed self-care level, 民发〔2021〕43号 第二十一、二十二条). A different
amount needs a reason and a second district approver (propose_deviation → confirm_deviation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.assessments import covered_members_result, latest_assessment
from caseflow.casework.facts_adapter import applicant, household_facts, load_household
from caseflow.db.models import Case, CaseEvent, Household, OrgUnit
from caseflow.db.record import CaseView
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.models import ADJUST, GRADUAL_EXIT, GRANT, STOP, Entitlement
from caseflow.payments.months import add_months, parse_month
from caseflow.policy.amounts import compute_amount
from caseflow.policy.config import PolicyConfig, PolicyError
from caseflow.policy.store import policy_table, region_of
from caseflow.policy.tekun import tekun_amount_for_level

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("payments.grants")

PROGRAMMES = ("dibao", "tekun")


@dataclass(frozen=True)
class Computed:
    """What the rules give for a decision: the monthly amount, its parts and the explanation."""

    amount_fen: int
    components: dict[str, int]
    covered_ids: list[int]
    aid_class: str | None
    care_level: str | None
    config: PolicyConfig
    basis: dict[str, Any]

    @property
    def explain(self) -> str:
        """The explanation in Chinese, line by line."""
        return str(self.basis.get("explain", ""))


def _household(session: Session, case: CaseView) -> Household:
    return load_household(session, case.household_id)


def policy_for(session: Session, case: CaseView, day: date) -> PolicyConfig:
    """The policy configuration in force on `day` for the case's region."""
    unit = session.get(OrgUnit, case.org_unit_id)
    assert unit is not None  # a foreign key
    return policy_table(session, region_of(unit.code)).in_force(day)


def compute_dibao(
    session: Session, case: CaseView, covered_ids: Sequence[int], aid_class: str, day: date
) -> Computed:
    """低保: the amount for exactly these members under the policy in force on `day`."""
    household = _household(session, case)
    by_id = {m.id: m for m in household.members}
    unknown = [i for i in covered_ids if i not in by_id]
    if unknown or not covered_ids:
        raise PolicyError("保障对象须为本户成员，且至少一人")
    config = policy_for(session, case, day)
    facts = household_facts(household)
    result = compute_amount(
        facts,
        config,
        day,
        covered_ids=[by_id[i].id_number for i in covered_ids],
        support_class=aid_class,
    )
    figures = result.decision.results[0].figures
    return Computed(
        amount_fen=result.amount_fen,
        components={"basic": result.base_fen, "top_ups": result.top_ups_fen},
        covered_ids=sorted(covered_ids),
        aid_class=aid_class,
        care_level=None,
        config=config,
        basis={
            "explain": result.decision.explain_zh(),
            "method": result.method,
            "per_capita_fen": figures.get("per_capita_fen"),
            "household_size": facts.size,
            "covered": result.covered,
            "cap_fen": result.cap_fen,
        },
    )


def compute_tekun(session: Session, case: CaseView, day: date) -> Computed:
    """特困: basic living plus the care allowance of the case's recorded self-care assessment."""
    row = latest_assessment(session, case, "tekun")
    if row is None:
        raise PolicyError("本案没有特困条件与自理能力评估结果，无法核定金额")
    level = str(row.result.get("care_level") or "")
    setting = str(row.result.get("setting") or "dispersed")
    config = policy_for(session, case, day)
    amount = tekun_amount_for_level(config, level, setting, day)  # type: ignore[arg-type]
    person = applicant(_household(session, case))
    return Computed(
        amount_fen=amount.total_fen,
        components={"basic": amount.basic_fen, "care": amount.care_fen},
        covered_ids=[person.id],
        aid_class=None,
        care_level=level,
        config=config,
        basis={"explain": amount.decision.explain_zh(), "setting": setting},
    )


def _covered(payload: dict[str, Any]) -> list[int]:
    return [int(i) for i in payload.get("covered_members") or []]


def assessed_cover(session: Session, case: CaseView) -> list[int]:
    """The members the rules cover, as the case's means test found them: the one member a
    低保边缘 household may have covered alone (单人保, 民发〔2021〕57号 第八条 — the assessment
    names the candidates), else the whole household. What a form pre-ticks and a batch plans."""
    members = sorted(m.id for m in _household(session, case).members)
    row = latest_assessment(session, case, "means_test")
    named = (row.result.get("single_person_candidates") or []) if row is not None else []
    single = [int(i) for i in named if int(i) in members]
    return single[:1] or members


def dibao_terms(session: Session, case: CaseView, payload: dict[str, Any]) -> tuple[list[int], str]:
    """Covered members and class of an approval: as the form names them, or — left empty, as
    in a batch approval — the whole household and the class the means test suggested."""
    covered = _covered(payload) or [m.id for m in _household(session, case).members]
    aid_class = payload.get("aid_class")
    if not aid_class:
        row = latest_assessment(session, case, "means_test")
        aid_class = row.aid_class if row is not None and row.aid_class else "A"
    return covered, str(aid_class)


def compute_decision(
    session: Session, case: CaseView, payload: dict[str, Any], day: date
) -> Computed:
    """What the rules give for the approval (or proposal) in `payload` on `day`."""
    if case.case_type == "tekun":
        return compute_tekun(session, case, day)
    covered, aid_class = dibao_terms(session, case, payload)
    return compute_dibao(session, case, covered, aid_class, day)


# --- guards --------------------------------------------------------------------------------------


@plugin.guard("means_test_eligible")
def means_test_eligible(ctx: GuardContext) -> str | None:
    """No approval of a household the recorded assessment found ineligible (reason shown)."""
    kind = "tekun" if ctx.case.case_type == "tekun" else "means_test"
    row = latest_assessment(ctx.session, ctx.case, kind)
    if row is None:
        return "本案没有核对结果，不能批准"
    if row.outcome != "eligible":
        failed = [r["detail"] for r in row.result.get("rules", []) if not r.get("passed")]
        reason = "；".join(str(f) for f in failed[:3]) or str(row.result.get("outcome_zh", ""))
        return f"核对结论为不符合条件，不能批准：{reason}"
    return None


@plugin.guard("dibao_amount_positive", needs_payload=True)
def dibao_amount_positive(ctx: GuardContext) -> str | None:
    """A 低保 approval pays something. The assessment the case was investigated on may be older
    than the household's facts (a later record, a review, a 渐退 after income from work rose):
    when the facts in the record now give no amount, the household's per-capita income is not
    below the standard, which 社会救助暂行办法 第九条 requires — so it is refused, not approved at
    0 元, and the household is to be checked again."""
    assert ctx.payload is not None
    try:
        computed = compute_decision(ctx.session, ctx.case, ctx.payload, to_local(ctx.now).date())
    except PolicyError:
        return None  # covered_members_rule names what is wrong with the members chosen
    if computed.amount_fen > 0:
        return None
    per_capita = computed.basis.get("per_capita_fen")
    income = f"人均月收入 {format_yuan(int(per_capita))} 元，" if per_capita is not None else ""
    return (
        f"按本户现有家庭经济状况计算，月保障金为 0 元（{income}"
        f"标准 {format_yuan(computed.config.dibao_standard_fen)} 元）：不能批准，"
        "家庭情况已有变化的，请重新入户核对"
    )


@plugin.guard("covered_members_rule", needs_payload=True)
def covered_members_rule(ctx: GuardContext) -> str | None:
    """Covered persons are named members of the household; A covers all, B/C at least two; in a
    低保边缘 household exactly one severely disabled or seriously ill member may be covered alone
    (单人保, 民发〔2021〕57号 第八条 — caseflow.casework.assessments.covered_members_result)."""
    assert ctx.payload is not None
    if ctx.case.case_type == "tekun":
        return None  # 特困 covers the applicant
    covered, aid_class = dibao_terms(ctx.session, ctx.case, ctx.payload)
    day = to_local(ctx.now).date()
    result = covered_members_result(ctx.session, ctx.case, aid_class, covered, day)
    return None if result.passed else f"{result.label_zh}：{result.detail_zh}"


CARE_LEVEL_CHOICES = {"全自理": "self_care", "部分护理": "partial", "全护理": "full"}


@plugin.guard("care_level_matches_assessment", needs_payload=True)
def care_level_matches_assessment(ctx: GuardContext) -> str | None:
    """The care level approved is the one the six-item assessment gave (43号 第二十二条)."""
    assert ctx.payload is not None
    row = latest_assessment(ctx.session, ctx.case, "tekun")
    if row is None:
        return "本案没有自理能力评估结果，不能批准"
    assessed = str(row.result.get("care_level") or "")
    chosen = CARE_LEVEL_CHOICES.get(str(ctx.payload.get("care_level")), "")
    if chosen != assessed:
        label = next((k for k, v in CARE_LEVEL_CHOICES.items() if v == assessed), assessed)
        return f"护理等级须与自理能力评估结果一致（评估结果：{label}）"
    return None


@plugin.guard("deviation_differs", needs_payload=True)
def deviation_differs(ctx: GuardContext) -> str | None:
    """A deviation names an amount other than the computed one, and why."""
    assert ctx.payload is not None
    try:
        computed = compute_decision(ctx.session, ctx.case, ctx.payload, to_local(ctx.now).date())
    except PolicyError as exc:
        return str(exc)
    if int(ctx.payload["amount_fen"]) == computed.amount_fen:
        return f"与核定金额 {format_yuan(computed.amount_fen)} 元相同，无需偏离，请直接审核确认"
    return None


# --- effects -------------------------------------------------------------------------------------


def _grant(
    ctx: EffectContext,
    payload: dict[str, Any],
    amount_fen: int | None,
    reason: str,
    trigger: str,
    extra_basis: dict[str, Any] | None = None,
) -> Entitlement:
    day = to_local(ctx.now).date()
    computed = compute_decision(ctx.session, ctx.case, payload, day)
    return entitlements.record(
        ctx.session,
        ctx.case,
        kind=GRANT,
        effective_month=entitlements.first_paid_month(ctx.now),
        amount_fen=computed.amount_fen if amount_fen is None else amount_fen,
        computed_fen=computed.amount_fen,
        source_case=ctx.case,
        trigger=trigger,
        actor=ctx.actor,
        at=ctx.now,
        components=computed.components,
        covered_member_ids=computed.covered_ids,
        aid_class=computed.aid_class,
        care_level=computed.care_level,
        policy_effective_from=computed.config.effective_from,
        standard_fen=computed.config.dibao_standard_fen,
        basis={**computed.basis, **(extra_basis or {})},
        deviation_reason=reason,
    )


@plugin.effect("grant_entitlement")
def grant_entitlement(ctx: EffectContext) -> None:
    """审核确认: the first entitlement, computed, paid from the month after approval."""
    _grant(ctx, ctx.payload, None, "", "approve")


def _proposal(session: Session, case_id: int) -> tuple[dict[str, Any], int | None]:
    """The payload of the case's newest propose_deviation and who proposed it."""
    row = session.execute(
        select(CaseEvent.payload, CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger == "propose_deviation")
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()
    assert row is not None  # confirm_deviation leaves deviation_review, entered by a proposal
    return dict(row[0] or {}), row[1]


@plugin.effect("grant_deviated_entitlement")
def grant_deviated_entitlement(ctx: EffectContext) -> None:
    """A deviation confirmed by a second approver: the proposed amount, with the computed one
    and the reason beside it (both visible in the record and in reports)."""
    proposal, proposer = _proposal(ctx.session, ctx.case.id)
    reason = str(proposal.get("reason", ""))
    signers = {"proposed_by": proposer, "confirmed_by": ctx.actor.user_id}
    _grant(ctx, proposal, int(proposal["amount_fen"]), reason, "confirm_deviation", signers)


def programme_cases_in_payment(session: Session, household_id: int) -> list[Case]:
    """The household's approved 低保/特困 cases whose newest entitlement is not a stop."""
    cases = session.scalars(
        select(Case).where(
            Case.household_id == household_id,
            Case.case_type.in_(PROGRAMMES),
            Case.state == "approved",
        )
    ).all()
    history = entitlements.versions_of(session, [c.id for c in cases])
    return [c for c in cases if history.get(c.id) and history[c.id][-1].kind != STOP]


@dataclass(frozen=True)
class Adjustment:
    """What a review's adjustment does to one programme case in payment: the version in force
    and the one the rules compute from the review's own assessment."""

    target: Case
    current: Entitlement
    computed: Computed


def review_adjustments(session: Session, review: CaseView, day: date) -> list[Adjustment]:
    """复核调整 (增发/减发) of every programme the household is paid: the proposed class and
    covered members (else those in force), the amount recomputed from the review's own
    assessment — what the district confirms, in a batch as on the case page."""
    proposal = _last_payload(session, review.id, "propose_adjustment")
    found: list[Adjustment] = []
    for target in programme_cases_in_payment(session, review.household_id or 0):
        current = entitlements.latest(session, target.id)
        assert current is not None
        if target.case_type == "tekun":
            # The review's own self-care assessment, if it made one; else the case's.
            assessed = latest_assessment(session, review, "tekun") is not None
            computed = compute_tekun(session, review if assessed else target, day)
        else:
            covered = _covered(proposal) or list(current.covered_member_ids)
            aid_class = str(proposal.get("aid_class") or current.aid_class or "A")
            computed = compute_dibao(session, review, covered, aid_class, day)
        found.append(Adjustment(target, current, computed))
    return found


@plugin.effect("adjust_entitlement")
def adjust_entitlement(ctx: EffectContext) -> None:
    """复核调整: each programme in payment gets the version `review_adjustments` computes, from
    the month after the decision."""
    reason = str(_last_payload(ctx.session, ctx.case.id, "propose_adjustment").get("reason", ""))
    for change in review_adjustments(ctx.session, ctx.case, to_local(ctx.now).date()):
        computed = change.computed
        entitlements.record(
            ctx.session,
            change.target,
            kind=ADJUST,
            effective_month=entitlements.first_paid_month(ctx.now),
            amount_fen=computed.amount_fen,
            computed_fen=computed.amount_fen,
            source_case=ctx.case,
            trigger="approve_adjustment",
            actor=ctx.actor,
            at=ctx.now,
            components=computed.components,
            covered_member_ids=computed.covered_ids,
            aid_class=computed.aid_class,
            care_level=computed.care_level,
            policy_effective_from=computed.config.effective_from,
            standard_fen=computed.config.dibao_standard_fen,
            basis={**computed.basis, **entitlements.placement_of(change.current), "reason": reason},
        )


def _last_payload(session: Session, case_id: int, trigger: str) -> dict[str, Any]:
    row = session.scalar(
        select(CaseEvent.payload)
        .where(CaseEvent.case_id == case_id, CaseEvent.trigger == trigger)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    return dict(row or {})


def _stop(ctx: EffectContext, target: Case, month: str, trigger: str, covered: list[int]) -> None:
    """A stop version: nothing is paid from `month` on (the decision's reasons kept)."""
    entitlements.record(
        ctx.session,
        target,
        kind=STOP,
        effective_month=month,
        amount_fen=0,
        computed_fen=0,
        source_case=ctx.case,
        trigger=trigger,
        actor=ctx.actor,
        at=ctx.now,
        covered_member_ids=covered,
        basis={"reason": str(ctx.payload.get("reasons", ""))},
    )


def _stop_all(ctx: EffectContext, stop_month: str, trigger: str) -> None:
    for target in programme_cases_in_payment(ctx.session, ctx.case.household_id or 0):
        current = entitlements.latest(ctx.session, target.id)
        assert current is not None
        _stop(ctx, target, stop_month, trigger, current.covered_member_ids)


@plugin.effect("stop_entitlement")
def stop_entitlement(ctx: EffectContext) -> None:
    """停保: payment stops from the month after the decision (or a later month the decision
    names), for every programme the household is paid. 特困: 民发〔2021〕43号 第二十六条
    ("从下月起终止"); 低保: the same rule, 待核实 (the 57号 article on stopping was not read)."""
    after = entitlements.first_paid_month(ctx.now)
    asked = parse_month(str(ctx.payload.get("effective_month") or "")) or after
    _stop_all(ctx, max(after, asked), "approve_removal")


@plugin.effect("gradual_exit_entitlement")
def gradual_exit_entitlement(ctx: EffectContext) -> None:
    """渐退: the granted months (capped by the dated policy, as the guard that admitted them) at
    the rule set's share, then a stop (57号 第三十三条; length ≤ 6 months per 民发〔2022〕83号)."""
    start = entitlements.first_paid_month(ctx.now)
    cap = policy_for(ctx.session, ctx.case, to_local(ctx.now).date()).gradual_exit_max_months
    months = max(0, min(int(ctx.payload.get("months") or 0), cap))
    percent = int(ctx.ruleset.params.get("gradual_exit_amount_percent", 100))
    for target in programme_cases_in_payment(ctx.session, ctx.case.household_id or 0):
        current = entitlements.latest(ctx.session, target.id)
        assert current is not None
        if months:
            entitlements.record(
                ctx.session,
                target,
                kind=GRADUAL_EXIT,
                effective_month=start,
                amount_fen=current.amount_fen * percent // 100,
                computed_fen=current.computed_fen * percent // 100,
                source_case=ctx.case,
                trigger="approve_gradual_exit",
                actor=ctx.actor,
                at=ctx.now,
                components=current.components,
                covered_member_ids=current.covered_member_ids,
                aid_class=current.aid_class,
                care_level=current.care_level,
                basis={
                    **entitlements.placement_of(current),
                    "percent": percent,
                    "months": months,
                    "until": add_months(start, months),
                },
            )
        stop_month = add_months(start, months)
        _stop(ctx, target, stop_month, "approve_gradual_exit", current.covered_member_ids)


@plugin.effect("end_gradual_entitlement")
def end_gradual_entitlement(ctx: EffectContext) -> None:
    """渐退期提前结束: nothing is paid from the month after."""
    _stop_all_gradual(ctx, entitlements.first_paid_month(ctx.now))


def _stop_all_gradual(ctx: EffectContext, stop_month: str) -> None:
    cases = ctx.session.scalars(
        select(Case).where(
            Case.household_id == ctx.case.household_id,
            Case.case_type.in_(PROGRAMMES),
            Case.state == "approved",
        )
    ).all()
    history = entitlements.versions_of(ctx.session, [c.id for c in cases])
    for target in cases:
        versions = history.get(target.id, [])
        if not versions or entitlements.amount_in(versions, stop_month) == 0:
            continue
        _stop(ctx, target, stop_month, "end_gradual_exit", versions[-1].covered_member_ids)
