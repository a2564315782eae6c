"""The working-day calendar as the database knows it: package years plus the admin's overrides."""

from __future__ import annotations

from datetime import datetime

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


def store_overrides(
    session: Session,
    overrides: list[DayOverride],
    complete_years: set[int],
    user_id: int | None,
    now: datetime,
) -> None:
    """Insert or replace override days and mark years complete, in one transaction.

    Due dates already stored keep the calendar they were computed with: entering a year's
    holidays changes deadlines computed from now on, never silently the old ones.
    """
    for ov in overrides:
        session.merge(CalendarOverride(day=ov.day, kind=ov.kind, name=ov.name))
    for year in complete_years:
        session.merge(
            CalendarYear(year=year, complete=True, confirmed_by_id=user_id, confirmed_at=now)
        )
    session.commit()
