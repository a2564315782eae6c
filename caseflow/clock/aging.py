"""Aging on the supervisors' board: where a due date stands from `now` in working days.

A case is due soon (within 2 working days), or overdue by 0–5, 5–15 or more than 15 working days.
The bucket boundaries are local midnights — computed once per board as instants with the
calendar and handed to SQL — except `now` itself: that is what the board's counters
(caseflow.read.board_counts) rely on to fold each day's due dates into a few rows per bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caseflow.clock.workcal import (
    WorkdayCalendar,
    local_date,
    start_of_local_day,
    working_days_between,
)
from caseflow.kernel.timeutil import require_aware

DUE_SOON_WORKING_DAYS = 2
AGING_EDGES = (5, 15)  # overdue 0–5, 5–15, > 15 working days

DUE_SOON, OVERDUE_0_5, OVERDUE_5_15, OVERDUE_OVER_15 = (
    "due_soon",
    "overdue_0_5",
    "overdue_5_15",
    "overdue_over_15",
)
BUCKETS: tuple[str, ...] = (DUE_SOON, OVERDUE_0_5, OVERDUE_5_15, OVERDUE_OVER_15)


@dataclass(frozen=True)
class Boundaries:
    """Instants splitting due dates into buckets (computed once per board, never per case).

    due soon: now <= due_at < soon_before; overdue 0–5: over_5 <= due_at < now;
    overdue 5–15: over_15 <= due_at < over_5; overdue > 15: due_at < over_15.
    """

    now: datetime
    soon_before: datetime
    over_5: datetime
    over_15: datetime


def boundaries(cal: WorkdayCalendar, now: datetime) -> Boundaries:
    """Bucket boundaries for `now`, with working days counted as working_days_between does.

    A deadline is overdue by d working days when d working days lie after its local date up to
    and including today; d <= n exactly when its date is on or after the (n+1)-th most recent
    working day (today included). Due within 2 working days: before the 3rd working day after
    today.
    """
    require_aware(now, "now")
    today = local_date(now)

    def back(n: int) -> datetime:
        day, seen = today, 0
        while True:
            if cal.is_workday(day):
                seen += 1
                if seen == n + 1:
                    return start_of_local_day(day)
            day -= timedelta(days=1)

    day, seen = today, 0
    while seen < DUE_SOON_WORKING_DAYS + 1:
        day += timedelta(days=1)
        if cal.is_workday(day):
            seen += 1
    return Boundaries(now, start_of_local_day(day), back(AGING_EDGES[0]), back(AGING_EDGES[1]))


def aging_bucket(cal: WorkdayCalendar, due_at: datetime | None, now: datetime) -> str | None:
    """The bucket of one due date, case by case (for display and as the SQL's reference)."""
    if due_at is None:
        return None
    if due_at >= now:
        ahead = working_days_between(cal, now, due_at)
        return DUE_SOON if ahead <= DUE_SOON_WORKING_DAYS else None
    late = working_days_between(cal, due_at, now)
    if late <= AGING_EDGES[0]:
        return OVERDUE_0_5
    return OVERDUE_5_15 if late <= AGING_EDGES[1] else OVERDUE_OVER_15
