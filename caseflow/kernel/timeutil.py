"""Timezone rules: store UTC, show Asia/Shanghai, refuse naive datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def full_years(birth: date, day: date) -> int:
    """Completed years from `birth` to `day` (a birthday counts on the day itself): an age."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return value unchanged, or raise if it carries no timezone."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")
    return value


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC."""
    return require_aware(value).astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai for display."""
    return require_aware(value).astimezone(LOCAL_TZ)


def local_minute(value: datetime | None) -> str:
    """Asia/Shanghai, to the minute ("" for no value): how pages and notices show an instant."""
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M")


def utcnow() -> datetime:
    """The real clock; code under test receives `now` as a parameter instead."""
    return datetime.now(UTC)


def parse_aware(text: str) -> datetime:
    """Parse ISO text; a value without offset is read as Asia/Shanghai local time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)
