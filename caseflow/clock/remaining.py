"""How much time a deadline leaves, as a person reads it: working days for limits of days, hours
(and minutes) for limits counted in hours or when less than a day is left or late — a 12-hour
先行救助 limit must not read "剩余 0 个工作日"."""

from __future__ import annotations

from datetime import datetime, timedelta

ONE_DAY = timedelta(days=1)
HOURS = "hours"


def _span_text(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    # Minutes matter while few hours are left; beyond ten hours they are noise.
    return f"{hours} 小时 {rest} 分钟" if rest and hours < 10 else f"{hours} 小时"


def time_left_text(
    now: datetime, due_at: datetime, working_days: int | None, unit: str = ""
) -> str:
    """ "剩余 …" before the due instant, "已逾期 …" after it. `working_days` is the signed count
    the calendar gives (negative when late); `unit` is the limit's unit when known."""
    delta = due_at - now
    late = delta < timedelta(0)
    span = abs(delta)
    if unit == HOURS or span < ONE_DAY or not working_days:
        amount = _span_text(span)
    else:
        amount = f"{abs(working_days)} 个工作日"
    return f"已逾期 {amount}" if late else f"剩余 {amount}"
