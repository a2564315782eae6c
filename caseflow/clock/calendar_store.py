"""The working-day calendar as the database knows it: package years plus the admin's overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, null, select, union_all
from sqlalchemy.orm import Session

from caseflow.clock.workcal import DayOverride, WorkdayCalendar
from caseflow.db.models import CalendarOverride, CalendarYear
from caseflow.db.rawsql import RawStatement

_ov = cast(Table, CalendarOverride.__table__)
_yr = cast(Table, CalendarYear.__table__)
# Both small tables in one round trip: override days (year NULL), then complete years.
_CALENDAR_ROWS = RawStatement(
    union_all(
        select(_ov.c.day, _ov.c.kind, _ov.c.name, null().label("year")),
        select(null(), null(), null(), _yr.c.year).where(_yr.c.complete),
    ),
    results=(_ov.c.day, _ov.c.kind, _ov.c.name, _yr.c.year),
)

# The last calendar built, keyed by the exact table contents it was built from. Reading the two
# small tables as plain tuples is cheap; building the calendar and its per-date memo is not. A
# key of the contents themselves (not a timestamp) stays right when another process, or another
# database, stores different overrides: any difference is a new key and a fresh calendar.
_cached: tuple[tuple[Any, ...], WorkdayCalendar] | None = None


def load_calendar(session: Session) -> WorkdayCalendar:
    """The calendar of the override tables (small: a few dozen rows a year), built once per
    distinct contents and shared by every caller in the process."""
    global _cached
    rows = _CALENDAR_ROWS.all(session, {})
    key = (
        tuple(sorted((r[0], r[1], r[2]) for r in rows if r[3] is None)),
        tuple(sorted(r[3] for r in rows if r[3] is not None)),
    )
    hit = _cached
    if hit is not None and hit[0] == key:
        return hit[1]
    overrides = [DayOverride(day, kind, name) for day, kind, name in key[0]]
    cal = WorkdayCalendar(overrides, key[1])
    _cached = (key, cal)
    return cal


def store_overrides(
    session: Session,
    overrides: list[DayOverride],
    complete_years: set[int],
    user_id: int | None,
    now: datetime,
) -> None:
    """Insert or replace override days and mark years complete, in the caller's unit of work
    (the clock lies below the engine and its UnitOfWork: the caller commits).

    Due dates already stored keep the calendar they were computed with: entering a year's
    holidays changes deadlines computed from now on, never silently the old ones.
    """
    for ov in overrides:
        session.merge(CalendarOverride(day=ov.day, kind=ov.kind, name=ov.name))
    for year in complete_years:
        session.merge(
            CalendarYear(year=year, complete=True, confirmed_by_id=user_id, confirmed_at=now)
        )
