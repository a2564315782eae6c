"""Named guards: Python functions registered by name, referenced from workflow YAML.

A guard returns None when it passes, or a Chinese sentence saying why the action cannot happen yet.
There is deliberately no expression language in the YAML: nothing to secure, everything testable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, exists, func, or_, select

from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import due_or_none
from caseflow.db.models import Case, CaseEvent, Member, RelativeDeclaration
from caseflow.db.rawsql import RawStatement
from caseflow.db.record import CaseView
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.kernel.timeutil import full_years, to_local

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


# The guards every workflow may name (installed by caseflow.bootstrap).
plugin = Plugin("engine.guards")


def events_in_current_visit(session: Session, case: Case) -> list[CaseEvent]:
    """Events since the case last entered its current state (internal actions included)."""
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    visit: list[CaseEvent] = []
    for event in events:
        if event.from_state != event.to_state:
            visit = []  # a real state change starts a new visit
        visit.append(event)
    return visit


_ev = cast(Table, CaseEvent.__table__)
# Where the case's current visit to its state began: its last real state change (the opening
# event has no from_state). Internal events after it, that one included, form the visit.
_VISIT_START = (
    select(func.coalesce(func.max(_ev.c.seq), 0))
    .where(
        _ev.c.case_id == bindparam("g_case"),
        or_(_ev.c.from_state.is_(None), _ev.c.from_state != _ev.c.to_state),
    )
    .scalar_subquery()
)
_SIGNERS = RawStatement(
    select(_ev.c.actor_id)
    .where(
        _ev.c.case_id == bindparam("g_case"),
        _ev.c.trigger == "sign_home_visit",
        _ev.c.actor_id.is_not(None),
        _ev.c.seq >= _VISIT_START,
    )
    .distinct()
)


def signers_in_current_visit(session: Session, case: CaseView) -> set[int]:
    """Distinct users who signed the home-visit record since the case entered this state.

    Judged in SQL (one indexed query on case_id, seq), so the cost does not grow with the
    case's history; events_in_current_visit is the same rule spelled out in Python.
    """
    return {row[0] for row in _SIGNERS.all(session, {"g_case": case.id})}


@plugin.guard("two_investigators_signed")
def two_investigators_signed(ctx: GuardContext) -> str | None:
    """Home visits need two staff, both signing (入户调查须两人以上并签字)."""
    count = len(signers_in_current_visit(ctx.session, ctx.case))
    if count >= 2:
        return None
    return f"入户调查须由两名不同调查员签字，目前仅 {count} 人签字"


@plugin.guard("not_signed_yet")
def not_signed_yet(ctx: GuardContext) -> str | None:
    """The same investigator cannot count twice towards the two signatures."""
    if ctx.actor.user_id in signers_in_current_visit(ctx.session, ctx.case):
        return "您已签字，须由另一名调查员签字"
    return None


def _applicant(session: Session, case: CaseView) -> Member | None:
    members = session.scalars(
        select(Member)
        .where(Member.household_id == case.household_id, Member.left_on.is_(None))
        .order_by(Member.id)
    ).all()
    return next((m for m in members if m.relation == "户主"), members[0] if members else None)


def _applicant_is_minor(ctx: GuardContext) -> bool:
    applicant = _applicant(ctx.session, ctx.case)
    return applicant is not None and full_years(applicant.birth_date, to_local(ctx.now).date()) < 18


# Whether a minor's 特困 application skips publicity is the rule set's switch: the national 特困
# 办法 publicises every applicant (民发〔2021〕43号 第十五条); only the 事实无人抚养儿童 rules
# (民发〔2019〕62号) leave publicity out, so a district turns it on only where its own rule says so.
MINOR_SWITCH = "minor_not_publicised"


@plugin.guard("publicity_not_waived")
def publicity_not_waived(ctx: GuardContext) -> str | None:
    """特困: publicity is refused only where the rule set waives it for a minor applicant."""
    if ctx.ruleset.param(MINOR_SWITCH) and _applicant_is_minor(ctx):
        return f"申请人为未成年人，按{ctx.ruleset.label}不予公示"
    return None


@plugin.guard("minor_publicity_waived")
def minor_publicity_waived(ctx: GuardContext) -> str | None:
    """Only a minor's 特困 case, under a rule set that waives publicity for minors, skips it."""
    if not ctx.ruleset.param(MINOR_SWITCH):
        return f"{ctx.ruleset.label}未规定未成年人不公示（特困人员认定办法第十五条），须经公示"
    return None if _applicant_is_minor(ctx) else "申请人已成年，须经公示"


# Publicity runs its full term: only the timer ends it, and only once the rule set's publicity
# period (7 days, 民发〔2021〕57号 第十九条 / 43号 第十五条) has passed since the case entered the
# state; an objection interrupts it by its own transition. Judged on the case's own entry time,
# so neither a mistaken `tick --now` against a wrong deadline row nor a stale timer cuts it short.
PUBLICITY_RULE = "publicity"


@plugin.guard("publicity_period_elapsed")
def publicity_period_elapsed(ctx: GuardContext) -> str | None:
    """The publicity period has run out since the case entered publicity."""
    rule = ctx.ruleset.rule(PUBLICITY_RULE)
    started = ctx.case.state_entered_at
    due = due_or_none(load_calendar(ctx.session), rule.unit, started, rule.amount)  # type: ignore[arg-type]
    assert due is not None  # no pauses given, so a due date always exists
    if ctx.now > due.due_at:
        return None
    return (
        f"公示期未满：自 {to_local(started):%Y-%m-%d} 起公示{rule.amount}"
        f"{'个自然日' if rule.unit == 'calendar_days' else '个工作日'}，"
        f"{to_local(due.due_at):%Y-%m-%d} 期满无异议后由系统自动报送"
    )


_rel = cast(Table, RelativeDeclaration.__table__)
# A staff member (or village-committee member) declared a near relative in the household: the
# declarations themselves, read when the decision is taken, so one made after the case opened
# counts at once (the case's flag only records what was known at intake).
_HOUSEHOLD_DECLARED = RawStatement(
    select(exists().where(_rel.c.household_id == bindparam("g_household")))
)
_CASE_TRIGGER_DONE = RawStatement(
    select(
        exists().where(
            _ev.c.case_id == bindparam("g_case"), _ev.c.trigger == bindparam("g_trigger")
        )
    )
)
COMPLAINT_TRIGGER = "record_complaint"
DISTRICT_VISIT_TRIGGER = "record_district_visit"


def _done(ctx: GuardContext, trigger: str) -> bool:
    row = _CASE_TRIGGER_DONE.first(ctx.session, {"g_case": ctx.case.id, "g_trigger": trigger})
    return bool(row and row[0])


def district_visit_reason(ctx: GuardContext) -> str | None:
    """Why the district must visit the home itself before deciding, or None (民发〔2021〕57号
    第二十条: 单独登记备案 cases and cases with a complaint or report)."""
    household = ctx.case.household_id
    if ctx.case.flag_staff_relative:
        return "本案为工作人员近亲属备案案件"
    if household is not None:
        row = _HOUSEHOLD_DECLARED.first(ctx.session, {"g_household": household})
        if row and row[0]:
            return "本户有工作人员近亲属备案"
    if _done(ctx, COMPLAINT_TRIGGER):
        return "本案收到投诉、举报"
    return None


@plugin.guard("district_visit_if_required")
def district_visit_if_required(ctx: GuardContext) -> str | None:
    """A relative's case, or one with a complaint, needs the district's own home visit first."""
    reason = district_visit_reason(ctx)
    if reason is None or _done(ctx, DISTRICT_VISIT_TRIGGER):
        return None
    return f"{reason}，须先完成区级入户核查"


@plugin.guard("ruleset_requires_appraisal")
def ruleset_requires_appraisal(ctx: GuardContext) -> str | None:
    """民主评议 exists only under the rule sets that require it (2012)."""
    if ctx.ruleset.param("requires_democratic_appraisal"):
        return None
    return f"{ctx.ruleset.label}不要求民主评议"


@plugin.guard("appraisal_done_if_required")
def appraisal_done_if_required(ctx: GuardContext) -> str | None:
    """Under the 2012 rules the case may not be publicised before its democratic appraisal."""
    if not ctx.ruleset.param("requires_democratic_appraisal"):
        return None
    done = ctx.session.scalar(
        select(CaseEvent.id).where(
            CaseEvent.case_id == ctx.case.id, CaseEvent.trigger == "record_appraisal"
        )
    )
    return None if done else "按本案适用的规则集，公示前须完成民主评议"


@plugin.guard("total_not_extended")
def total_not_extended(ctx: GuardContext) -> str | None:
    """The total limit may be extended only once (30 → 45 working days)."""
    from caseflow.clock.deadlines import total_deadline  # local: deadlines imports workflow types

    row = total_deadline(ctx.session, ctx.case.id)
    if row is None:
        return "本案没有可延长的办理总时限"
    if row.extended:
        return "办理总时限已延长过一次，不能再次延长"
    return None


EMERGENCY_TRIGGERS = ("declare_emergency", "grant_advance_aid")


@plugin.guard("emergency_aid_not_started")
def emergency_aid_not_started(ctx: GuardContext) -> str | None:
    """A mistaken intake may be voided only before 救急难 began: aid already given (or being
    given) is settled through the paperwork and a decision, so the money stays accounted for."""
    if any(_done(ctx, trigger) for trigger in EMERGENCY_TRIGGERS):
        return "本案已启动救急难先行救助，不能作废；请补办手续后由乡镇作出决定"
    return None
