"""Named guards: Python functions registered by name, referenced from workflow YAML.

A guard returns None when it passes, or a Chinese sentence saying why the action cannot happen yet.
There is deliberately no expression language in the YAML: nothing to secure, everything testable.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, func, or_, select

from caseflow.db.models import Case, CaseEvent, Member
from caseflow.db.rawsql import RawStatement
from caseflow.db.record import CaseView
from caseflow.engine.plugins import GuardContext, Plugin
from caseflow.kernel.timeutil import to_local

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
        select(Member).where(Member.household_id == case.household_id).order_by(Member.id)
    ).all()
    return next((m for m in members if m.relation == "户主"), members[0] if members else None)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _applicant_is_minor(ctx: GuardContext) -> bool:
    applicant = _applicant(ctx.session, ctx.case)
    return applicant is not None and _age_on(applicant.birth_date, to_local(ctx.now).date()) < 18


@plugin.guard("applicant_not_minor")
def applicant_not_minor(ctx: GuardContext) -> str | None:
    """特困: minors are not publicised."""
    return "申请人为未成年人，依规不予公示" if _applicant_is_minor(ctx) else None


@plugin.guard("applicant_is_minor")
def applicant_is_minor(ctx: GuardContext) -> str | None:
    """Only a minor's 特困 case may skip publicity."""
    return None if _applicant_is_minor(ctx) else "申请人已成年，须经公示"


@plugin.guard("district_visit_if_staff_relative")
def district_visit_if_staff_relative(ctx: GuardContext) -> str | None:
    """Cases of staff relatives need a district home visit on record before the decision."""
    if not ctx.case.flag_staff_relative:
        return None
    visited = ctx.session.scalar(
        select(CaseEvent.id).where(
            CaseEvent.case_id == ctx.case.id, CaseEvent.trigger == "record_district_visit"
        )
    )
    return None if visited else "本案为工作人员近亲属备案案件，须先完成区级入户核查"


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
