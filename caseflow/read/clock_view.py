"""Read side of a case's clocks: deadlines with remaining working days, and pauses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.clock.deadlines import LEVEL_LABELS
from caseflow.clock.workcal import WorkdayCalendar, working_days_between
from caseflow.db.models import CasePause, Deadline
from caseflow.workflow.rulesets import UNIT_LABELS, RuleSet


@dataclass(frozen=True)
class DeadlineView:
    label: str
    limit_text: str  # e.g. "10 个工作日"
    started_at: datetime
    due_at: datetime | None  # None while paused
    remaining_working_days: int | None  # negative when overdue
    overdue: bool
    level_label: str
    calendar_source: str
    extended: bool
    closed: bool
    is_total: bool
    unit: str = ""  # working_days | calendar_days | hours


@dataclass(frozen=True)
class PauseView:
    state: str
    started_at: datetime
    ended_at: datetime | None


def case_deadlines(
    session: Session, case_id: int, ruleset: RuleSet, cal: WorkdayCalendar, now: datetime
) -> list[DeadlineView]:
    """Open deadlines first (the total limit on top), then closed ones, newest first."""
    rows = session.scalars(
        select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id.desc())
    ).all()
    views = []
    for row in rows:
        rule = ruleset.deadlines.get(row.rule)
        remaining = None
        if row.due_at is not None and row.closed_at is None:
            remaining = working_days_between(cal, now, row.due_at)
        views.append(
            DeadlineView(
                label=rule.label if rule else row.rule,
                limit_text=f"{row.amount} {UNIT_LABELS.get(row.unit, row.unit)}",
                started_at=row.started_at,
                due_at=row.due_at,
                remaining_working_days=remaining,
                overdue=row.closed_at is None and row.due_at is not None and row.due_at < now,
                level_label=LEVEL_LABELS.get(row.level, ""),
                calendar_source=row.calendar_source,
                extended=row.extended,
                closed=row.closed_at is not None,
                is_total=row.state is None,
                unit=row.unit,
            )
        )
    return sorted(views, key=lambda v: (v.closed, not v.is_total))


def case_pauses_view(session: Session, case_id: int) -> list[PauseView]:
    """Every interval the case's total clock stood still, oldest first."""
    rows = session.scalars(
        select(CasePause).where(CasePause.case_id == case_id).order_by(CasePause.started_at)
    )
    return [PauseView(p.state, p.started_at, p.ended_at) for p in rows]
