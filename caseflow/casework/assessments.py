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
from caseflow.db.models import Assessment, Case, Household, OrgUnit
from caseflow.db.record import CaseView
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.policy.amounts import compute_amount
from caseflow.policy.classification import suggest_class
from caseflow.policy.config import PolicyConfig
from caseflow.policy.explain import Decision
from caseflow.policy.means_test import assess_means_with
from caseflow.policy.store import policy_table, region_of
from caseflow.policy.tekun import SELF_CARE_ITEMS, assess_tekun_eligibility_with, tekun_amount
from caseflow.policy.temporary import (
    PriorAssistance,
    TemporaryRequest,
    approval_level,
    assess_temporary_with,
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
    """家庭经济状况核对: means test, suggested class and gap amount, with every rule shown."""
    day = to_local(ctx.now).date()
    config = _config(ctx.session, ctx.case, day)
    facts = household_facts(_household(ctx.session, ctx.case))
    decision = assess_means_with(facts, config, day)
    suggestion = suggest_class(facts)
    amount = compute_amount(facts, config, day, support_class=suggestion.support_class)
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
        },
    )


@plugin.effect("record_tekun_assessment")
def record_tekun_assessment(ctx: EffectContext) -> None:
    """特困: the three conditions, the six-item self-care assessment, and the monthly support."""
    day = to_local(ctx.now).date()
    config = _config(ctx.session, ctx.case, day)
    person = member_facts(applicant(_household(ctx.session, ctx.case)))
    decision = assess_tekun_eligibility_with(person, config, day)
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
        extra={"care_level": amount.care_level, "amount_explain": amount.decision.explain_zh()},
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


@plugin.guard("amount_within_assessed_cap", needs_payload=True)
def amount_within_assessed_cap(ctx: GuardContext) -> str | None:
    """A decided amount may not exceed the cap computed by the recorded assessment."""
    assert ctx.payload is not None
    row = latest_assessment(ctx.session, ctx.case)
    if row is None:
        return "本案没有核对结果，无法核定金额"
    cap = int(row.result.get("cap_fen") or row.amount_fen or 0)
    amount = int(ctx.payload["amount_fen"])
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
    amount = int(ctx.payload["amount_fen"])
    if approval_level(config, amount) == "township":
        return None
    ceiling = config.temporary.township_ceiling_fen
    return f"金额超过乡镇审批额度 {format_yuan(ceiling)} 元，须报区民政审批"
