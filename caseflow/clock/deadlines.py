"""Deadline rows: opened and closed by engine.fire, escalated by the sweep.

A state's own deadline runs from the moment the case enters the state; a phase's (a workflow's
`phases:`) from the moment it enters the first of the phase's states until it leaves them all.
The case-wide total limit (`total`, 30 working days from acceptance) stands still while the case
sits in a pausing state — waiting for materials, and a scheduled hearing or publicity where the
rule set says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from caseflow.clock.workcal import Pause, WorkdayCalendar, due_or_none, working_days_before
from caseflow.db.models import Case, CasePause, Deadline
from caseflow.db.rawsql import RawStatement
from caseflow.db.record import CaseView
from caseflow.workflow.model import StateDef, WorkflowDef
from caseflow.workflow.rulesets import DeadlineRule, RuleSet

# The escalation ladder; a deadline row climbs it one rung at a time, each rung reached once.
LEVEL_OPEN, LEVEL_REMINDED, LEVEL_OVERDUE, LEVEL_DISTRICT, LEVEL_BUREAU = range(5)
LEVEL_LABELS = {
    LEVEL_OPEN: "未到期",
    LEVEL_REMINDED: "已提醒（即将到期）",
    LEVEL_OVERDUE: "已逾期（报乡镇领导）",
    LEVEL_DISTRICT: "区级督办",
    LEVEL_BUREAU: "报局领导",
}


def pauses_total(state: StateDef, ruleset: RuleSet) -> bool:
    """Whether the total limit stands still while a case is in `state`."""
    if state.pause:
        return True
    if state.pause_if is not None and ruleset.param(state.pause_if):
        return True  # e.g. a hearing, where the rule set says it stops the clock
    return state.deadline == "publicity" and not ruleset.param("publicity_counts_toward_total")


def next_action_at(
    cal: WorkdayCalendar, ruleset: RuleSet, unit: str, due_at: datetime, level: int
) -> datetime | None:
    """When a deadline at `level` must climb to the next rung (None once at the top)."""
    if level == LEVEL_OPEN:
        if unit == "working_days":
            return working_days_before(cal, due_at, int(ruleset.param("reminder_working_days")))
        # Short calendar/hour limits are reminded a fixed share ahead: a quarter of a day per day.
        return due_at - timedelta(hours=6)
    if level == LEVEL_REMINDED:
        return due_at + timedelta(microseconds=1)
    if level == LEVEL_OVERDUE:
        return _after_working_days(
            cal, due_at, int(ruleset.param("escalate_district_after_working_days"))
        )
    if level == LEVEL_DISTRICT:
        return _after_working_days(
            cal, due_at, int(ruleset.param("escalate_bureau_after_working_days"))
        )
    return None


def _after_working_days(cal: WorkdayCalendar, moment: datetime, n: int) -> datetime:
    due = due_or_none(cal, "working_days", moment, n)
    assert due is not None  # no pauses given, so a due date always exists
    return due.due_at


def _set_due(row: Deadline, cal: WorkdayCalendar, ruleset: RuleSet, pauses: list[Pause]) -> None:
    due = due_or_none(cal, row.unit, row.started_at, row.amount, pauses)  # type: ignore[arg-type]
    if due is None:  # an open pause: no due date until the case resumes
        row.due_at, row.next_action_at, row.calendar_source = None, None, row.calendar_source
        return
    row.due_at, row.calendar_source = due.due_at, due.source
    level = row.level
    action = next_action_at(cal, ruleset, row.unit, due.due_at, level)
    row.next_action_at = action


# Prebuilt statements of fire()'s hot path: built once, so each fire pays neither for building
# the expression nor for the ORM's bulk-update bookkeeping (the rows are not in the session).
_deadlines = cast(Table, Deadline.__table__)
_INSERT_DEADLINE = RawStatement(_deadlines.insert())
_CLOSE_STATE_DEADLINE = RawStatement(
    _deadlines.update()
    .where(
        _deadlines.c.case_id == bindparam("c_id"),
        _deadlines.c.state == bindparam("c_state"),
        _deadlines.c.closed_at.is_(None),
    )
    .values(closed_at=bindparam("c_now"), next_action_at=None)
)
_CLOSE_ALL_DEADLINES = RawStatement(
    _deadlines.update()
    .where(_deadlines.c.case_id == bindparam("c_id"), _deadlines.c.closed_at.is_(None))
    .values(closed_at=bindparam("c_now"), next_action_at=None)
)
_pauses = cast(Table, CasePause.__table__)
_END_OPEN_PAUSE = RawStatement(
    _pauses.update()
    .where(_pauses.c.case_id == bindparam("c_id"), _pauses.c.ended_at.is_(None))
    .values(ended_at=bindparam("c_now"))
)
_INSERT_PAUSE = RawStatement(_pauses.insert())


def open_deadline(
    session: Session,
    case: CaseView,
    state: str | None,
    rule: DeadlineRule,
    now: datetime,
    cal: WorkdayCalendar,
    ruleset: RuleSet,
) -> None:
    """Open the deadline of `rule` for `state` (None: the case-wide total), its due date computed
    now on `cal` and stored with the calendar source it came from; one Core INSERT."""
    due = due_or_none(cal, rule.unit, now, rule.amount)  # type: ignore[arg-type]
    assert due is not None  # no pauses given, so a due date always exists
    action = next_action_at(cal, ruleset, rule.unit, due.due_at, LEVEL_OPEN)
    _INSERT_DEADLINE.run(
        session,
        {
            "case_id": case.id,
            "state": state,
            "rule": rule.name,
            "unit": rule.unit,
            "amount": rule.amount,
            "started_at": now,
            "due_at": due.due_at,
            "calendar_source": due.source,
            "level": LEVEL_OPEN,
            "next_action_at": action,
            "extended": False,
            "org_path": case.org_path,
        },
    )


def case_pauses(session: Session, case_id: int) -> list[Pause]:
    """The case's pause intervals, oldest first (the last may still be open)."""
    rows = session.scalars(
        select(CasePause).where(CasePause.case_id == case_id).order_by(CasePause.started_at)
    )
    return [(p.started_at, p.ended_at) for p in rows]


def on_state_change(
    session: Session,
    case: CaseView,
    wf: WorkflowDef,
    ruleset: RuleSet,
    cal: WorkdayCalendar,
    old: str | None,
    new: str,
    now: datetime,
) -> None:
    """Close the old state's deadline, open the new one's, and pause or resume the total.

    Rows are written with Core statements on the session's connection, inside its transaction;
    the ORM is used only for the rare recomputation of the total after a pause or resume.
    """
    if old is not None:
        _CLOSE_STATE_DEADLINE.run(session, {"c_id": case.id, "c_state": old, "c_now": now})
    new_state = wf.states[new]
    if new_state.final:
        _CLOSE_ALL_DEADLINES.run(session, {"c_id": case.id, "c_now": now})
        _end_open_pause(session, case.id, now)
        return
    if old is None and wf.total_deadline:
        open_deadline(session, case, None, ruleset.rule(wf.total_deadline), now, cal, ruleset)
    if new_state.deadline:
        open_deadline(session, case, new, ruleset.rule(new_state.deadline), now, cal, ruleset)
    for phase in wf.phases:  # limits across several states (none in most workflows)
        was_in, now_in = old in phase.states, new in phase.states
        if was_in and not now_in:
            _CLOSE_STATE_DEADLINE.run(
                session, {"c_id": case.id, "c_state": phase.row_state, "c_now": now}
            )
        elif now_in and not was_in:
            rule = ruleset.rule(phase.deadline)
            open_deadline(session, case, phase.row_state, rule, now, cal, ruleset)
    was_paused = old is not None and pauses_total(wf.states[old], ruleset)
    now_paused = pauses_total(new_state, ruleset)
    if was_paused and not now_paused:
        _end_open_pause(session, case.id, now)
        _recompute_total(session, case, ruleset, cal)
    elif now_paused and not was_paused:
        _INSERT_PAUSE.run(session, {"case_id": case.id, "state": new, "started_at": now})
        _recompute_total(session, case, ruleset, cal)


def _end_open_pause(session: Session, case_id: int, now: datetime) -> None:
    _END_OPEN_PAUSE.run(session, {"c_id": case_id, "c_now": now})


def total_deadline(session: Session, case_id: int) -> Deadline | None:
    """The open case-wide total limit of a case, if any."""
    return session.scalar(
        select(Deadline)
        .where(Deadline.case_id == case_id, Deadline.state.is_(None), Deadline.closed_at.is_(None))
        # fire() writes deadline rows with Core statements: never trust a copy already loaded.
        .execution_options(populate_existing=True)
    )


def _recompute_total(
    session: Session, case: CaseView, ruleset: RuleSet, cal: WorkdayCalendar
) -> None:
    # An explicit event (pause or resume) moves the total's due date; nothing else ever does.
    row = total_deadline(session, case.id)
    if row is not None:
        _set_due(row, cal, ruleset, case_pauses(session, case.id))


def extend_total(
    session: Session, case: Case, ruleset: RuleSet, cal: WorkdayCalendar, rule: DeadlineRule
) -> Deadline:
    """Raise the total limit to its `extendable_to` (once); the caller records who and why."""
    row = total_deadline(session, case.id)
    if row is None or rule.extendable_to is None:
        raise ValueError("no extendable total deadline")
    row.amount, row.extended = rule.extendable_to, True
    _set_due(row, cal, ruleset, case_pauses(session, case.id))
    return row


def clock_values(case_id: Any) -> dict[str, Any]:
    """The case row's clock columns as scalar subqueries over its open deadline rows, for the
    SET clause of an UPDATE of that case (fire() folds them into its compare-and-set)."""
    open_rows = (_deadlines.c.case_id == case_id, _deadlines.c.closed_at.is_(None))
    return {
        "due_at": select(func.min(_deadlines.c.due_at)).where(*open_rows).scalar_subquery(),
        "escalation_level": select(func.coalesce(func.max(_deadlines.c.level), 0))
        .where(*open_rows)
        .scalar_subquery(),
    }


_cases = cast(Table, Case.__table__)
_REFRESH_CLOCK = RawStatement(
    _cases.update()
    .where(_cases.c.id == bindparam("r_id"))
    .values(**clock_values(bindparam("r_id")))
    .returning(_cases.c.due_at, _cases.c.escalation_level),
    results=(_cases.c.due_at, _cases.c.escalation_level),
)


def refresh_case_clock(session: Session, case_id: int) -> None:
    """Copy the earliest open due date and the highest escalation level onto the case row.

    One UPDATE with scalar subqueries, not through the ORM's version: the clock is derived data,
    and refreshing it must not make a clerk's open form look stale. A Case already loaded in the
    session gets the new values as committed state (no extra UPDATE, no reload).
    """
    session.flush()  # pending ORM deadline changes must be in the rows the subqueries read
    row = _REFRESH_CLOCK.first(session, {"r_id": case_id})
    if row is None:
        return
    due, level = row
    case = session.identity_map.get(identity_key(Case, case_id))
    if case is not None:
        set_committed_value(case, "due_at", due)
        set_committed_value(case, "escalation_level", level)
