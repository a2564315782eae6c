"""Months as "YYYY-MM" text: ordered as strings, stored as strings, computed in local time."""

from __future__ import annotations

import re
from datetime import datetime

from caseflow.kernel.timeutil import to_local

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> str | None:
    """The month "YYYY-MM" (years 2000–2099), or None if `text` is not one."""
    m = _MONTH.match(text.strip())
    if m is None or not 2000 <= int(m.group(1)) <= 2099:
        return None
    return m.group(0)


def month_of(at: datetime) -> str:
    """The month an instant falls in, on the Asia/Shanghai calendar (23:30 on the 31st counts)."""
    local = to_local(at)
    return f"{local.year:04d}-{local.month:02d}"


def add_months(month: str, n: int) -> str:
    """`month` moved by `n` months (n may be negative)."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_label(month: str) -> str:
    """E.g. "2026年12月"."""
    return f"{int(month[:4])}年{int(month[5:7])}月"
