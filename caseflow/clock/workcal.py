"""Working-day calendar and due-date arithmetic (pure: no database, no web framework).

Which calendar decides whether a local date (Asia/Shanghai) is a working day, in order:

1. an admin-entered override for that exact date (``DayOverride``);
2. the ``chinesecalendar`` package, for the years it covers (probed once at import);
3. a year the admin has declared *complete* in the override table: Monday–Friday plus its overrides
   is then the official calendar, so its days report the source ``"override"``;
4. otherwise the fallback: Monday–Friday are working days (source ``"fallback-weekends"``), which is
   deliberately visible so the supervisors' board can warn that the year still needs entering.

Every due date carries the sources of the days that decided it, so a deadline computed under the
fallback can be recognised (and is never silently recomputed by this module).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, get_args

import chinese_calendar
import yaml

from caseflow.kernel.timeutil import LOCAL_TZ

__all__ = [
    "FALLBACK_SOURCE",
    "LOCAL_TZ",
    "OVERRIDE_SOURCE",
    "PACKAGE_SOURCE",
    "PACKAGE_YEARS",
    "SOURCE_CALENDAR_DAYS",
    "SOURCE_HOURS",
    "DayKind",
    "DayOverride",
    "DueDate",
    "OpenPauseError",
    "OverrideFileError",
    "Pause",
    "Unit",
    "WorkdayCalendar",
    "add_calendar_days",
    "add_hours",
    "add_working_days",
    "coverage_warning",
    "due_or_none",
    "end_of_local_day",
    "load_calendar",
    "load_overrides_yaml",
    "local_date",
    "start_of_local_day",
    "working_days_before",
    "working_days_between",
]

ONE_DAY = timedelta(days=1)

DayKind = Literal["holiday", "workday"]
Unit = Literal["working_days", "calendar_days", "hours"]
# (paused_at, resumed_at); resumed_at is None while the case is still paused.
Pause = tuple[datetime, datetime | None]


def _package_version() -> str:
    try:
        return importlib.metadata.version("chinesecalendar")
    except importlib.metadata.PackageNotFoundError:  # vendored / odd installs
        return str(getattr(chinese_calendar, "__version__", "unknown"))


def _probe_package_years() -> frozenset[int]:
    # The package raises NotImplementedError outside its data; probing (instead of hard-coding
    # 2004–2026) means upgrading the package extends coverage without a code change.
    covered = set()
    for year in range(1900, 2200):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        covered.add(year)
    return frozenset(covered)


PACKAGE_VERSION = _package_version()
PACKAGE_SOURCE = f"chinesecalendar-{PACKAGE_VERSION}"
OVERRIDE_SOURCE = "override"
FALLBACK_SOURCE = "fallback-weekends"
# Sources for deadlines that do not depend on the working-day calendar at all.
SOURCE_CALENDAR_DAYS = "calendar-days"
SOURCE_HOURS = "exact-hours"
PACKAGE_YEARS: frozenset[int] = _probe_package_years()

# Fixed order so a combined source string is deterministic ("a+b", never "b+a").
_SOURCE_ORDER = {PACKAGE_SOURCE: 0, OVERRIDE_SOURCE: 1, FALLBACK_SOURCE: 2}


def coverage_warning(year: int) -> str:
    """Return the user-facing warning for a year whose holidays are not entered yet."""
    return f"{year} 年法定节假日尚未录入，按周末推算"


class OpenPauseError(ValueError):
    """A pause without a resume time prevents computing a due date."""


class OverrideFileError(ValueError):
    """An override YAML file is malformed; the message names the file, line and field."""


@dataclass(frozen=True, slots=True)
class DayOverride:
    """One admin-entered date: a public holiday or a make-up working day (调休上班)."""

    day: date
    kind: DayKind
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise TypeError(f"DayOverride.day must be a date, got {self.day!r}")
        if self.kind not in get_args(DayKind):
            raise ValueError(f"DayOverride.kind must be 'holiday' or 'workday', got {self.kind!r}")


@dataclass(frozen=True, slots=True)
class DueDate:
    """A computed deadline (UTC) and the calendar source(s) it was computed from."""

    due_at: datetime
    source: str

    @property
    def uses_fallback(self) -> bool:
        """Whether any deciding day came from the weekends-only fallback."""
        return FALLBACK_SOURCE in self.source.split("+")

    @property
    def local_day(self) -> date:
        """The due date as a local (Asia/Shanghai) calendar date."""
        return local_date(self.due_at)


class WorkdayCalendar:
    """Official working days: overrides, then chinesecalendar, then Monday–Friday.

    ``complete_years`` are years whose overrides the admin has declared fully entered (the State
    Council notice is in); outside the package's years only those count as covered. Instances are
    treated as immutable — when the admin edits the override table, build a new calendar.
    """

    def __init__(
        self, overrides: Iterable[DayOverride] = (), complete_years: Iterable[int] = ()
    ) -> None:
        by_day: dict[date, DayOverride] = {}
        for ov in overrides:
            previous = by_day.get(ov.day)
            if previous is not None and previous.kind != ov.kind:
                raise ValueError(
                    f"conflicting overrides for {ov.day}: {previous.kind} and {ov.kind}"
                )
            by_day[ov.day] = ov
        self._overrides = by_day
        self._complete_years = frozenset(complete_years)
        # Per-date memo: deadlines and aging buckets ask about the same few hundred dates
        # over and over. A plain dict on the instance (not lru_cache on a method, which would
        # keep every calendar alive) and it is bounded by the dates actually asked about.
        self._memo: dict[date, tuple[bool, str]] = {}

    @property
    def overrides(self) -> tuple[DayOverride, ...]:
        """All overrides, sorted by date."""
        return tuple(self._overrides[d] for d in sorted(self._overrides))

    @property
    def complete_years(self) -> frozenset[int]:
        """Years whose overrides are declared complete."""
        return self._complete_years

    def _lookup(self, day: date) -> tuple[bool, str]:
        hit = self._memo.get(day)
        if hit is not None:
            return hit
        if isinstance(day, datetime) or not isinstance(day, date):
            # A datetime would silently use its naive/UTC date instead of the local one.
            raise TypeError(f"expected a local date, got {day!r}; use local_date() first")
        ov = self._overrides.get(day)
        if ov is not None:
            result = (ov.kind == "workday", OVERRIDE_SOURCE)
        elif day.year in PACKAGE_YEARS:
            result = (bool(chinese_calendar.is_workday(day)), PACKAGE_SOURCE)
        elif day.year in self._complete_years:
            result = (day.weekday() < 5, OVERRIDE_SOURCE)
        else:
            result = (day.weekday() < 5, FALLBACK_SOURCE)
        self._memo[day] = result
        return result

    def is_workday(self, day: date) -> bool:
        """Return whether the local date is an official working day."""
        return self._lookup(day)[0]

    def source_for(self, day: date) -> str:
        """Return which calendar decides the date: package, "override" or "fallback-weekends"."""
        return self._lookup(day)[1]

    def is_year_covered(self, year: int) -> bool:
        """Return whether the year's official holidays are known (package or complete overrides)."""
        return year in PACKAGE_YEARS or year in self._complete_years

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        """Return the given years (sorted, unique) that would use the weekends-only fallback."""
        return sorted({y for y in years if not self.is_year_covered(y)})

    def coverage_warnings(self, years: Iterable[int]) -> list[str]:
        """Return one user-facing warning per uncovered year."""
        return [coverage_warning(y) for y in self.uncovered_years(years)]


# --- time helpers -------------------------------------------------------------------------------


def _require_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


def local_date(moment: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware datetime."""
    _require_aware(moment, "moment")
    return moment.astimezone(LOCAL_TZ).date()


def start_of_local_day(day: date) -> datetime:
    """Return local midnight (Asia/Shanghai) at the start of the date, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def end_of_local_day(day: date) -> datetime:
    """Return 23:59:59.999999 Asia/Shanghai on the date, as a UTC datetime."""
    return datetime.combine(day, time.max, tzinfo=LOCAL_TZ).astimezone(UTC)


def _require_count(n: int | float, what: str = "n") -> None:
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}")


def _join_sources(sources: Iterable[str]) -> str:
    return "+".join(sorted(set(sources), key=lambda s: (_SOURCE_ORDER.get(s, 99), s)))


# A range of paused local dates, inclusive; end None = still paused (open-ended).
_DayRange = tuple[date, date | None]


def _paused_day_ranges(pauses: Sequence[Pause]) -> list[_DayRange]:
    # Every local date a pause touches is removed, including the day it starts and the day it
    # ends: the clock restarts the day after the materials are supplied. Merged and sorted so the
    # walk can jump over a whole range in one step.
    raw: list[_DayRange] = []
    for paused_at, resumed_at in pauses:
        _require_aware(paused_at, "pause start")
        if resumed_at is None:
            raw.append((local_date(paused_at), None))
            continue
        _require_aware(resumed_at, "pause end")
        if resumed_at < paused_at:
            raise ValueError(f"pause ends before it starts: {paused_at} .. {resumed_at}")
        raw.append((local_date(paused_at), local_date(resumed_at)))
    raw.sort(key=lambda r: r[0])
    merged: list[_DayRange] = []
    for first, last in raw:
        if merged:
            m_first, m_last = merged[-1]
            if m_last is None:
                break  # an open pause already swallows everything after it
            if first <= m_last + ONE_DAY:
                new_last = None if last is None else max(m_last, last)
                merged[-1] = (m_first, new_last)
                continue
        merged.append((first, last))
    return merged


def _walk_days(
    start: datetime, n: int, pauses: Sequence[Pause], cal: WorkdayCalendar | None
) -> tuple[date, set[str]]:
    """Return the n-th counted local date after start's date and the calendar sources consulted.

    With ``cal`` None every unpaused day counts (calendar days). Cost is O(days walked) with
    paused ranges skipped in one jump each.
    """
    _require_aware(start, "start")
    _require_count(n)
    ranges = _paused_day_ranges(pauses)
    day = local_date(start)  # 期间开始之日不计入: the start day itself never counts
    counted = 0
    idx = 0
    sources: set[str] = set()
    while counted < n:
        day += ONE_DAY
        while idx < len(ranges):
            last = ranges[idx][1]
            if last is not None and last < day:
                idx += 1
            else:
                break
        if idx < len(ranges) and ranges[idx][0] <= day:
            last = ranges[idx][1]
            if last is None:
                raise OpenPauseError(
                    f"paused since {ranges[idx][0]} with no resume: no due date can be computed"
                )
            day = last  # the loop's increment lands on the day after the resume
            continue
        if cal is None:
            counted += 1
        else:
            workday, source = cal._lookup(day)
            sources.add(source)
            if workday:
                counted += 1
    return day, sources


# --- due-date arithmetic ------------------------------------------------------------------------


def add_working_days(
    cal: WorkdayCalendar, start: datetime, n: int, pauses: Sequence[Pause] = ()
) -> DueDate:
    """Return the end of the n-th working day after start's local date, skipping paused days.

    Chinese legal counting (期间开始之日不计入): the day of ``start`` is not counted; the deadline
    is 23:59:59.999999 Asia/Shanghai on the n-th counted working day (n == 0: end of start's day).
    A pause removes every local date it touches, including the whole day it starts and the whole
    day of the resume — the clock restarts the day after the materials are supplied. A pause that
    is still open raises ``OpenPauseError`` unless the deadline falls before its first day (use
    ``due_or_none`` to get None instead). ``source`` joins, in a fixed order, the calendar sources
    of every unpaused day walked (counted or skipped as a holiday/weekend).
    """
    day, sources = _walk_days(start, n, pauses, cal)
    if not sources:  # n == 0: nothing walked, report the calendar of the start day itself
        sources = {cal.source_for(day)}
    return DueDate(end_of_local_day(day), _join_sources(sources))


def add_calendar_days(start: datetime, n: int, pauses: Sequence[Pause] = ()) -> DueDate:
    """Return the end of the n-th calendar day after start's local date, skipping paused days.

    Same counting and pause rules as ``add_working_days`` but every unpaused day counts.
    """
    day, _ = _walk_days(start, n, pauses, None)
    return DueDate(end_of_local_day(day), SOURCE_CALENDAR_DAYS)


def add_hours(start: datetime, n: float, pauses: Sequence[Pause] = ()) -> DueDate:
    """Return start + n hours of unpaused time, pauses excluded to the exact instant.

    Raises ``OpenPauseError`` if an open pause starts before the hours run out.
    """
    _require_aware(start, "start")
    _require_count(n)
    intervals: list[Pause] = []
    for paused_at, resumed_at in pauses:
        _require_aware(paused_at, "pause start")
        if resumed_at is not None:
            _require_aware(resumed_at, "pause end")
            if resumed_at < paused_at:
                raise ValueError(f"pause ends before it starts: {paused_at} .. {resumed_at}")
        intervals.append((paused_at, resumed_at))
    intervals.sort(key=lambda p: p[0])
    clock = start
    remaining = timedelta(hours=n)
    for paused_at, resumed_at in intervals:
        if resumed_at is not None and resumed_at <= clock:
            continue  # entirely in the past (or swallowed by an earlier overlapping pause)
        if paused_at > clock:
            running = paused_at - clock
            if remaining <= running:
                break
            remaining -= running
        if resumed_at is None:
            raise OpenPauseError(f"paused since {paused_at} with no resume")
        clock = max(clock, resumed_at)
    return DueDate((clock + remaining).astimezone(UTC), SOURCE_HOURS)


def due_or_none(
    cal: WorkdayCalendar,
    unit: Unit,
    start: datetime,
    n: int,
    pauses: Sequence[Pause] = (),
) -> DueDate | None:
    """Compute a due date in the given unit, or None while an open pause stops the clock."""
    try:
        if unit == "working_days":
            return add_working_days(cal, start, n, pauses)
        if unit == "calendar_days":
            return add_calendar_days(start, n, pauses)
        if unit == "hours":
            return add_hours(start, n, pauses)
    except OpenPauseError:
        return None
    raise ValueError(f"unknown deadline unit {unit!r}")


def working_days_between(cal: WorkdayCalendar, a: datetime, b: datetime) -> int:
    """Count working days after a's local date up to and including b's (negative if b < a)."""
    first, last = local_date(a), local_date(b)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    count = 0
    day = first + ONE_DAY
    while day <= last:
        if cal.is_workday(day):
            count += 1
        day += ONE_DAY
    return sign * count


def working_days_before(cal: WorkdayCalendar, due_at: datetime, n: int) -> datetime:
    """Return the moment n working days before due_at (same local wall time), e.g. for reminders.

    The result is on the latest working day D' before the due date such that exactly n working
    days lie after D' up to and including the due date, so ``working_days_between(result, due_at)
    == n``: a reminder at that moment means "n working days left".
    """
    _require_aware(due_at, "due_at")
    _require_count(n)
    if n == 0:
        return due_at
    local_due = due_at.astimezone(LOCAL_TZ)
    day = local_due.date()
    remaining = n if cal.is_workday(day) else n + 1
    while remaining > 0:
        day -= ONE_DAY
        if cal.is_workday(day):
            remaining -= 1
    return datetime.combine(day, local_due.timetz()).astimezone(due_at.tzinfo)


# --- override files -----------------------------------------------------------------------------

_YEAR_KEYS = {"year", "complete", "source", "note", "days"}
_DAY_KEYS = {"date", "kind", "name"}
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _fail(path: Path, node: yaml.Node, field: str, message: str) -> OverrideFileError:
    return OverrideFileError(f"{path}:{node.start_mark.line + 1}: field {field!r}: {message}")


def _mapping(path: Path, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, what, "expected a mapping")
    result: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise _fail(
                path, key_node, key, f"unknown field (allowed: {', '.join(sorted(allowed))})"
            )
        if key in result:
            raise _fail(path, key_node, key, "given twice")
        result[key] = value_node
    return result


def _scalar(path: Path, node: yaml.Node, field: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(path, node, field, "expected a single value")
    return str(node.value).strip()


def _parse_year_block(
    path: Path, node: yaml.Node, seen: dict[date, int]
) -> tuple[int, bool, list[DayOverride]]:
    fields = _mapping(path, node, "year block", _YEAR_KEYS)
    for required in ("year", "complete"):
        if required not in fields:
            raise _fail(path, node, required, "missing")
    year_text = _scalar(path, fields["year"], "year")
    if not year_text.isdigit():
        raise _fail(path, fields["year"], "year", f"not a year: {year_text!r}")
    year = int(year_text)
    complete_text = _scalar(path, fields["complete"], "complete").lower()
    if complete_text not in _TRUE | _FALSE:
        raise _fail(
            path, fields["complete"], "complete", f"expected true/false, got {complete_text!r}"
        )
    complete = complete_text in _TRUE
    days_node = fields.get("days")
    overrides: list[DayOverride] = []
    if days_node is None or (
        isinstance(days_node, yaml.ScalarNode) and days_node.value in ("", "~", "null")
    ):
        return year, complete, overrides
    if not isinstance(days_node, yaml.SequenceNode):
        raise _fail(path, days_node, "days", "expected a list of {date, kind, name}")
    for entry in days_node.value:
        day_fields = _mapping(path, entry, "days[]", _DAY_KEYS)
        for required in ("date", "kind"):
            if required not in day_fields:
                raise _fail(path, entry, required, "missing")
        date_text = _scalar(path, day_fields["date"], "date")
        try:
            day = date.fromisoformat(date_text)
        except ValueError as exc:
            raise _fail(
                path, day_fields["date"], "date", f"not a valid date {date_text!r}: {exc}"
            ) from None
        if day.year != year:
            raise _fail(path, day_fields["date"], "date", f"{day} is not in year {year}")
        if day in seen:
            raise _fail(
                path, day_fields["date"], "date", f"{day} already listed on line {seen[day]}"
            )
        seen[day] = day_fields["date"].start_mark.line + 1
        kind = _scalar(path, day_fields["kind"], "kind")
        if kind not in ("holiday", "workday"):
            raise _fail(
                path, day_fields["kind"], "kind", f"expected 'holiday' or 'workday', got {kind!r}"
            )
        name = _scalar(path, day_fields["name"], "name") if "name" in day_fields else ""
        overrides.append(DayOverride(day, "holiday" if kind == "holiday" else "workday", name))
    return year, complete, overrides


def load_overrides_yaml(path: str | Path) -> tuple[list[DayOverride], set[int]]:
    """Load overrides and the set of years declared complete from a YAML file.

    The file is one year block or a list of them::

        year: 2027
        complete: false          # true once the whole State Council notice is entered
        source: 国办发明电〔2026〕X号   # optional, free text
        days:
          - {date: 2027-01-01, kind: holiday, name: 元旦}
          - {date: 2027-02-20, kind: workday, name: 春节调休上班}

    Errors raise ``OverrideFileError`` naming the file, line and field.
    """
    path = Path(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # one line with the file's line, as the CLI prints it
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise OverrideFileError(f"{path}{line}: not valid YAML: {problem}") from None
    except RecursionError:  # "[[[[…": PyYAML parses nesting by recursion
        raise OverrideFileError(f"{path}: not valid YAML: 嵌套层数过深") from None
    if root is None:
        return [], set()
    blocks = root.value if isinstance(root, yaml.SequenceNode) else [root]
    seen: dict[date, int] = {}
    years_seen: set[int] = set()
    overrides: list[DayOverride] = []
    complete_years: set[int] = set()
    for block in blocks:
        year, complete, days = _parse_year_block(path, block, seen)
        if year in years_seen:
            raise _fail(path, block, "year", f"year {year} has two blocks")
        years_seen.add(year)
        overrides.extend(days)
        if complete:
            complete_years.add(year)
    return overrides, complete_years


def load_calendar(paths: Iterable[str | Path]) -> WorkdayCalendar:
    """Build a calendar from several override YAML files (e.g. one per year)."""
    overrides: list[DayOverride] = []
    complete: set[int] = set()
    for p in paths:
        days, years = load_overrides_yaml(p)
        overrides.extend(days)
        complete |= years
    return WorkdayCalendar(overrides, complete)
