"""The working-day calendar as the database knows it: package years plus the admin's overrides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.models import CalendarOverride, CalendarYear
from caseflow.workcal import DayOverride, WorkdayCalendar


def load_calendar(session: Session) -> WorkdayCalendar:
    """Build the calendar from the override tables (small: a few dozen rows a year)."""
    overrides = [
        DayOverride(row.day, row.kind, row.name)  # type: ignore[arg-type]
        for row in session.scalars(select(CalendarOverride))
    ]
    complete = session.scalars(select(CalendarYear.year).where(CalendarYear.complete)).all()
    return WorkdayCalendar(overrides, complete)
