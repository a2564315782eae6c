"""Where the rule layer meets the engine: assessment effects and the guards that rely on them.

The investigator records an assessment through an internal transition (an audited event); its
effect runs the rules on the household as stored, under the configuration in force that day, and
keeps the whole explanation. Guards then let the case leave verify only with an assessment on
record, and check decisions (covered persons, caps, approval level) against the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.facts_adapter import (
    applicant,
    household_facts,
    load_household,
    member_facts,
)
from caseflow.casework.means import explained_lines
from caseflow.db.models import Assessment, Case, CaseEvent, Household, OrgUnit
from caseflow.db.record import CaseView
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.policy.amounts import compute_amount
from caseflow.policy.classification import check_covered_members, suggest_class
from caseflow.policy.config import PolicyConfig
from caseflow.policy.explain import Decision, RuleResult
from caseflow.policy.facts import HouseholdFacts
from caseflow.policy.means_test import assess_means_with, single_person_route
from caseflow.policy.store import policy_table, region_of
from caseflow.policy.tekun import SELF_CARE_ITEMS, assess_tekun_eligibility_with, tekun_amount
from caseflow.policy.temporary import (
    PriorAssistance,
    TemporaryRequest,
    approval_level,
    assess_temporary_with,
    check_advance,
)

# Guards, effects and hooks of this module, installed by caseflow.bootstrap.
plugin = Plugin("casework.assessments")

SUPPORT_MODES = {"集中供养": "centralised", "分散供养": "dispersed"}
TEMPORARY_KINDS = {"急难型": "urgent", "支出型": "expenditure"}


def _config(session: Session, case: CaseView, day: date) -> PolicyConfig:
    unit = session.get(OrgUnit, case.org_unit_id)
    assert unit is not None  # a foreign key
    return policy_table(session, region_of(unit.code)).in_force(day)


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "outcome_zh": decision.outcome_zh,
        "explain": decision.explain_zh(),
        "rules": [
            {"code": r.code, "label": r.label_zh, "passed": r.passed, "detail": r.detail_zh}
            for r in decision.results
        ],
    }


def _save(
    ctx: EffectContext,
    kind: str,
    config: PolicyConfig,
    decision: Decision,
    *,
    amount_fen: int | None = None,
    aid_class: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Assessment:
    row = Assessment(
        case_id=ctx.case.id,
        kind=kind,
        outcome=decision.outcome,
        policy_effective_from=config.effective_from,
        policy_is_example=config.is_example,
        result={**_decision_json(decision), **(extra or {})},
        amount_fen=amount_fen,
        aid_class=aid_class,
        recorded_by_id=ctx.actor.user_id,
        at=ctx.now,
    )
    ctx.session.add(row)
    return row


def _household(session: Session, case: CaseView) -> Household:
    return load_household(session, case.household_id)


@plugin.effect("record_means_test")
def record_means_test(ctx: EffectContext) -> None:
    """家庭经济状况核对: means test, suggested class and gap amount, with every rule shown.

    A 低保边缘 household that may only have one member covered alone (单人保, 57号 第八条) gets
    the class and amount of that member as a one-person household, and the members who may be
    covered alone are kept with the assessment.
    """
    day = to_local(ctx.now).date()
    config = _config(ctx.session, ctx.case, day)
    household = _household(ctx.session, ctx.case)
    facts = household_facts(household)
    decision = assess_means_with(facts, config, day)
    route = single_person_route(facts, config)
    single = route.available and not decision.result("MT-INCOME").passed
    covered = route.candidates[:1] if single else None
    suggestion = suggest_class(
        HouseholdFacts(members=(facts.member(route.candidates[0]),)) if single else facts
    )
    amount = compute_amount(
        facts, config, day, covered_ids=covered, support_class=suggestion.support_class
    )
    by_number = {m.id_number: m.id for m in household.members}
    _save(
        ctx,
        "means_test",
        config,
        decision,
        amount_fen=amount.amount_fen,
        aid_class=suggestion.support_class,
        extra={
            "class_reason": suggestion.as_result().detail_zh,
            "amount_explain": amount.decision.explain_zh(),
            "cap_fen": amount.cap_fen,
            "household_size": facts.size,
            "single_person_candidates": [by_number[i] for i in route.candidates] if single else [],
            "lines": explained_lines(household, config),
        },
    )


def in_tekun_already(session: Session, case: CaseView) -> bool:
    """True when the household has another approved 特困 case (the person is supported now)."""
    found = session.scalar(
        select(Case.id)
        .where(
            Case.household_id == case.household_id,
            Case.id != case.id,
            Case.case_type == "tekun",
            Case.state == "approved",
        )
        .limit(1)
    )
    return found is not None


@plugin.effect("record_tekun_assessment")
def record_tekun_assessment(ctx: EffectContext) -> None:
    """特困: the three conditions, the six-item self-care assessment, and the monthly support.

    In a review of a person already supported, a minor keeps the support to 18 and beyond while
    still at school (民发〔2021〕43号 第二十四条).
    """
    day = to_local(ctx.now).date()
    config = _config(ctx.session, ctx.case, day)
    person = member_facts(applicant(_household(ctx.session, ctx.case)))
    supported = ctx.case.case_type == "review" and in_tekun_already(ctx.session, ctx.case)
    decision = assess_tekun_eligibility_with(person, config, day, already_supported=supported)
    by_label = {label: key for key, label in SELF_CARE_ITEMS.items()}
    failed = [by_label[item] for item in ctx.payload.get("failed_items") or []]
    setting = SUPPORT_MODES[ctx.payload["support_mode"]]
    amount = tekun_amount(config, failed, setting, day)  # type: ignore[arg-type]
    _save(
        ctx,
        "tekun",
        config,
        decision,
        amount_fen=amount.total_fen,
        extra={
            "care_level": amount.care_level,
            "setting": setting,
            "amount_explain": amount.decision.explain_zh(),
        },
    )


def _prior_temporary(session: Session, case: CaseView) -> list[PriorAssistance]:
    rows = session.execute(
        select(Case.case_no, Assessment.result, Case.closed_at)
        .join(Assessment, Assessment.case_id == Case.id)
        .where(
            Case.household_id == case.household_id,
            Case.id != case.id,
            Case.case_type == "temporary",
            Case.state == "paid",
            Assessment.kind == "temporary",
        )
    ).all()
    return [
        PriorAssistance(no, str(result.get("cause", "")), to_local(closed).date())
        for no, result, closed in rows
        if closed is not None
    ]


PROGRAMMES = ("dibao", "tekun")


def in_programme(session: Session, case: CaseView) -> bool:
    """True when the household has an approved 低保 or 特困 case and no completed removal since."""
    approved = session.scalar(
        select(Case.opened_at)
        .where(
            Case.household_id == case.household_id,
            Case.case_type.in_(PROGRAMMES),
            Case.state == "approved",
        )
        .order_by(Case.opened_at.desc())
        .limit(1)
    )
    if approved is None:
        return False
    removed = session.scalar(
        select(Case.id)
        .where(
            Case.household_id == case.household_id,
            Case.case_type == "removal",
            Case.state == "removed",
            Case.opened_at >= approved,
        )
        .limit(1)
    )
    return removed is None


def _temporary_decision(ctx: GuardContext | EffectContext):  # type: ignore[no-untyped-def]
    payload = ctx.payload or {}
    day = to_local(ctx.now).date()
    config = _config(ctx.session, ctx.case, day)
    request = TemporaryRequest(
        kind=TEMPORARY_KINDS[payload["emergency_kind"]],  # type: ignore[arg-type]
        cause=payload["cause"],
        requested_fen=int(payload["amount_fen"]),
        applied_on=day,
        new_grounds_zh=payload.get("new_grounds") or None,
        programme_household=in_programme(ctx.session, ctx.case),
    )
    return config, assess_temporary_with(request, _prior_temporary(ctx.session, ctx.case), config)


@plugin.guard("temporary_not_repeated", needs_payload=True)
def temporary_not_repeated(ctx: GuardContext) -> str | None:
    """The same cause again within the window, without new grounds, is refused (case linked)."""
    _, result = _temporary_decision(ctx)
    if result.decision.outcome == "refused":
        return str(result.decision.outcome_zh)
    return None


@plugin.effect("record_temporary_assessment")
def record_temporary_assessment(ctx: EffectContext) -> None:
    """临时救助: cap by cause, repeat-cause check, approval level."""
    config, result = _temporary_decision(ctx)
    _save(
        ctx,
        "temporary",
        config,
        result.decision,
        amount_fen=result.granted_fen,
        extra={
            "cause": ctx.payload["cause"],
            "cap_fen": result.cap_fen,
            "approval_level": result.approval_level,
            "linked_cases": list(result.linked_case_refs),
        },
    )


def latest_assessment(
    session: Session, case: CaseView, kind: str | None = None
) -> Assessment | None:
    """The newest assessment of a case (of one kind, if given)."""
    stmt = select(Assessment).where(Assessment.case_id == case.id)
    if kind:
        stmt = stmt.where(Assessment.kind == kind)
    return session.scalars(stmt.order_by(Assessment.id.desc()).limit(1)).first()


KIND_LABELS = {
    "means_test": "家庭经济状况核对",
    "tekun": "特困条件与自理能力评估",
    "temporary": "临时救助核定",
}


def case_assessments(session: Session, case_id: int) -> list[Assessment]:
    """Every assessment of a case, newest first (for the case page and printouts)."""
    return list(
        session.scalars(
            select(Assessment).where(Assessment.case_id == case_id).order_by(Assessment.id.desc())
        )
    )


@plugin.guard("assessment_recorded")
def assessment_recorded(ctx: GuardContext) -> str | None:
    """The case may leave verify only with an assessment recorded during this visit."""
    row = latest_assessment(ctx.session, ctx.case)
    if row is not None and row.at >= ctx.case.state_entered_at:
        return None
    return "须先录入家庭经济状况核对（或自理能力评估）结果"


def covered_members_result(
    session: Session, case: CaseView, aid_class: str, member_ids: list[int], day: date
) -> RuleResult:
    """The covered-persons rule for named members (DB ids) of the case's household, under the
    policy in force on `day`: A covers all, B/C at least two unless a one-person household, and
    the single-person route of a 低保边缘 household (57号 第八条) admits exactly one member."""
    household = _household(session, case)
    by_id = {m.id: m.id_number for m in household.members}
    if not set(member_ids) <= set(by_id):
        return RuleResult("CLS-COVER-MEMBERS", "保障对象", False, "保障对象须为本户成员")
    config = _config(session, case, day)
    facts = household_facts(household)
    return check_covered_members(aid_class, facts, [by_id[i] for i in member_ids], config)


# --- 临时救助: the decided amount, in-kind aid, the advance ---------------------------------

AID_FORMS = ("现金", "实物", "现金和实物")
AID_FORM_BASIS = "民发〔2018〕23号 二(四)"


def aid_total_fen(payload: dict[str, Any]) -> int:
    """Cash plus the value of goods of a temporary-assistance decision (实物 counted at value)."""
    return int(payload.get("amount_fen") or 0) + int(payload.get("in_kind_value_fen") or 0)


@plugin.guard("amount_within_assessed_cap", needs_payload=True)
def amount_within_assessed_cap(ctx: GuardContext) -> str | None:
    """A decided amount (cash plus goods at their value) may not exceed the cap computed by the
    recorded assessment."""
    assert ctx.payload is not None
    row = latest_assessment(ctx.session, ctx.case)
    if row is None:
        return "本案没有核对结果，无法核定金额"
    cap = int(row.result.get("cap_fen") or row.amount_fen or 0)
    amount = aid_total_fen(ctx.payload)
    return (
        None
        if amount <= cap
        else f"金额 {format_yuan(amount)} 元超过核定上限 {format_yuan(cap)} 元"
    )


@plugin.guard("within_township_ceiling", needs_payload=True)
def within_township_ceiling(ctx: GuardContext) -> str | None:
    """Small temporary-assistance amounts are approved by the township (filed with the district)."""
    assert ctx.payload is not None
    config = _config(ctx.session, ctx.case, to_local(ctx.now).date())
    amount = aid_total_fen(ctx.payload)
    if approval_level(config, amount) == "township":
        return None
    ceiling = config.temporary.township_ceiling_fen
    return f"金额超过乡镇审批额度 {format_yuan(ceiling)} 元，须报区民政审批"


@plugin.guard("aid_form_consistent", needs_payload=True)
def aid_form_consistent(ctx: GuardContext) -> str | None:
    """现金, 实物 or both (民发〔2018〕23号 二(四)): goods are described and valued; cash-only
    aid pays an amount; goods-only aid pays no cash (the value of the goods counts against the
    caps, and nothing of it goes to the bank file)."""
    assert ctx.payload is not None
    form = str(ctx.payload.get("aid_form") or "现金")
    cash = int(ctx.payload.get("amount_fen") or 0)
    goods = int(ctx.payload.get("in_kind_value_fen") or 0)
    described = bool(str(ctx.payload.get("in_kind") or "").strip())
    if form == "现金":
        if described or goods:
            return "救助方式为现金时不填写实物内容和折价；发放实物请选择“实物”或“现金和实物”"
        return None if cash > 0 else "现金救助的金额须大于 0"
    if not described:
        return f"救助方式含实物，须写明实物内容（依据{AID_FORM_BASIS}）"
    if goods <= 0:
        return "救助方式含实物，须填写实物折价金额"
    if form == "实物" and cash:
        return "救助方式为实物时现金金额须为 0（实物按折价计入救助金额）"
    if form == "现金和实物" and cash <= 0:
        return "救助方式为现金和实物时，现金金额须大于 0"
    return None


@plugin.guard("advance_within_cap", needs_payload=True)
def advance_within_cap(ctx: GuardContext) -> str | None:
    """先行救助 (cash plus goods at value) within the configured cap: advance_months × the
    monthly 低保 standard × the household size, and the fixed ceiling if one is set
    (民发〔2018〕23号 二(二); the figures are example values, 待核实)."""
    assert ctx.payload is not None
    config = _config(ctx.session, ctx.case, to_local(ctx.now).date())
    size = len(_household(ctx.session, ctx.case).members)
    result = check_advance(config, size, aid_total_fen(ctx.payload))
    return None if result.passed else result.detail_zh


@plugin.guard("filing_pending")
def filing_pending(ctx: GuardContext) -> str | None:
    """The district acknowledges a township's approval (备案) once."""
    triggers = set(
        ctx.session.scalars(
            select(CaseEvent.trigger).where(
                CaseEvent.case_id == ctx.case.id,
                CaseEvent.trigger.in_(("township_approve", "acknowledge_filing")),
            )
        )
    )
    if "township_approve" not in triggers:
        return "本案不是乡镇审批的案件，无需备案"
    if "acknowledge_filing" in triggers:
        return "本案的乡镇审批已备案"
    return None
