"""The time a deadline leaves, in the unit a reader needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseflow.clock.remaining import time_left_text

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("due_in", "working_days", "unit", "text"),
    [
        (timedelta(hours=12), 0, "hours", "剩余 12 小时"),
        (timedelta(hours=5, minutes=30), 0, "hours", "剩余 5 小时 30 分钟"),
        (timedelta(minutes=40), 0, "hours", "剩余 40 分钟"),
        (timedelta(hours=-3), -1, "hours", "已逾期 3 小时"),
        (timedelta(hours=30), 1, "hours", "剩余 30 小时"),
        # A limit of days with less than a day left, or none of its working days, reads in hours.
        (timedelta(hours=8), 0, "working_days", "剩余 8 小时"),
        (timedelta(days=3), 0, "working_days", "剩余 72 小时"),
        (timedelta(hours=-2), 0, "working_days", "已逾期 2 小时"),
        (timedelta(days=5), 4, "working_days", "剩余 4 个工作日"),
        (timedelta(days=-6), -4, "working_days", "已逾期 4 个工作日"),
        (timedelta(days=5), 4, "", "剩余 4 个工作日"),
    ],
)
def test_time_left_is_told_in_the_unit_that_fits(
    due_in: timedelta, working_days: int, unit: str, text: str
) -> None:
    assert time_left_text(NOW, NOW + due_in, working_days, unit) == text
