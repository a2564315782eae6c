"""Tests for the working-day calendar and due-date arithmetic (caseflow.clock.workcal)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.clock.workcal import (
    FALLBACK_SOURCE,
    LOCAL_TZ,
    OVERRIDE_SOURCE,
    PACKAGE_SOURCE,
    PACKAGE_YEARS,
    SOURCE_CALENDAR_DAYS,
    SOURCE_HOURS,
    DayOverride,
    OpenPauseError,
    OverrideFileError,
    WorkdayCalendar,
    add_calendar_days,
    add_hours,
    add_working_days,
    coverage_warning,
    due_or_none,
    end_of_local_day,
    load_calendar,
    load_overrides_yaml,
    local_date,
    working_days_before,
    working_days_between,
)

SEED_2027 = Path(__file__).resolve().parents[3] / "seed" / "calendar" / "2027-overrides.yaml"
CAL = WorkdayCalendar()


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """An aware Asia/Shanghai datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


def eod(y: int, m: int, d: int) -> datetime:
    """End of a local day, in UTC, as add_working_days returns it."""
    return end_of_local_day(date(y, m, d))


# --- calendar sources ---------------------------------------------------------------------------


def test_package_coverage_is_probed_not_hardcoded() -> None:
    assert PACKAGE_SOURCE == "chinesecalendar-1.11.0"
    assert set(range(2004, 2027)) <= PACKAGE_YEARS
    assert 2027 not in PACKAGE_YEARS
    for year in PACKAGE_YEARS:
        chinese_calendar.is_workday(date(year, 6, 1))  # must not raise
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(max(PACKAGE_YEARS) + 1, 6, 1))


def test_source_for_each_kind_of_day() -> None:
    cal = WorkdayCalendar([DayOverride(date(2018, 10, 8), "holiday", "test")])
    assert cal.source_for(date(2018, 10, 9)) == PACKAGE_SOURCE
    assert cal.source_for(date(2018, 10, 8)) == OVERRIDE_SOURCE
    assert cal.source_for(date(2027, 3, 3)) == FALLBACK_SOURCE
    assert cal.source_for(date(2003, 3, 3)) == FALLBACK_SOURCE
    assert not cal.is_workday(date(2018, 10, 8))  # override beats the package


def test_complete_override_year_is_not_fallback() -> None:
    cal = WorkdayCalendar([], complete_years={2027})
    assert cal.source_for(date(2027, 3, 3)) == OVERRIDE_SOURCE
    assert cal.is_workday(date(2027, 3, 3))  # a Wednesday
    assert not cal.is_workday(date(2027, 3, 6))  # a Saturday


def test_fallback_is_monday_to_friday() -> None:
    week = [date(2027, 3, 1) + timedelta(days=i) for i in range(7)]
    assert [CAL.is_workday(d) for d in week] == [True] * 5 + [False] * 2


def test_is_workday_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        CAL.is_workday(at(2018, 10, 8))


def test_conflicting_overrides_rejected() -> None:
    with pytest.raises(ValueError, match="conflicting"):
        WorkdayCalendar(
            [
                DayOverride(date(2027, 1, 2), "holiday", "a"),
                DayOverride(date(2027, 1, 2), "workday", "b"),
            ]
        )


def test_day_override_validates() -> None:
    with pytest.raises(ValueError):
        DayOverride(date(2027, 1, 1), "vacation", "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DayOverride(at(2027, 1, 1), "holiday", "x")


def test_is_workday_is_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[date] = []
    real = chinese_calendar.is_workday

    def counting(d: date) -> bool:
        calls.append(d)
        return bool(real(d))

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    cal = WorkdayCalendar()
    for _ in range(50):
        add_working_days(cal, at(2018, 9, 28), 10)
    assert calls and len(calls) == len(set(calls))


def test_uncovered_years_and_warning() -> None:
    assert CAL.uncovered_years([2027, 2026, 2003, 2027]) == [2003, 2027]
    cal = WorkdayCalendar([DayOverride(date(2027, 1, 1), "holiday", "元旦")])
    assert cal.uncovered_years([2026, 2027]) == [2027]  # entries alone do not make a year complete
    assert WorkdayCalendar([], {2027}).uncovered_years([2026, 2027]) == []
    assert coverage_warning(2027) == "2027 年法定节假日尚未录入，按周末推算"
    assert CAL.coverage_warnings([2027]) == ["2027 年法定节假日尚未录入，按周末推算"]


# --- National Day 2018 --------------------------------------------------------------------------


def test_national_day_2018_package_data() -> None:
    # Holidays 10-01..07; Sat 09-29 and Sun 09-30 were make-up working days.
    assert CAL.is_workday(date(2018, 9, 29)) and CAL.is_workday(date(2018, 9, 30))
    assert not any(CAL.is_workday(date(2018, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(date(2018, 10, 8))


def test_national_day_2018_deadline() -> None:
    start = at(2018, 9, 28, 15, 30)  # accepted on Friday afternoon
    assert add_working_days(CAL, start, 1).due_at == eod(2018, 9, 29)  # make-up Saturday
    assert add_working_days(CAL, start, 2).due_at == eod(2018, 9, 30)  # make-up Sunday
    due = add_working_days(CAL, start, 3)
    assert due.due_at == eod(2018, 10, 8)
    assert due.source == PACKAGE_SOURCE
    assert not due.uses_fallback
    assert due.local_day == date(2018, 10, 8)
    assert due.due_at.tzinfo is UTC
    assert due.due_at.astimezone(LOCAL_TZ).time() == time.max
    assert add_working_days(CAL, start, 5).due_at == eod(2018, 10, 10)


def test_start_local_date_is_shanghai_not_utc() -> None:
    # 2018-09-28T17:00Z is already Saturday 09-29 01:00 in Shanghai, so 09-29 is not counted.
    start = datetime(2018, 9, 28, 17, 0, tzinfo=UTC)
    assert add_working_days(CAL, start, 1).due_at == eod(2018, 9, 30)
    # Any aware timezone is accepted (13:00 at UTC-4 is 01:00 next day in Shanghai).
    ny = timezone(timedelta(hours=-4))
    assert add_working_days(CAL, datetime(2018, 9, 28, 13, 0, tzinfo=ny), 1).due_at == eod(
        2018, 9, 30
    )


# --- Spring Festival 2025 -----------------------------------------------------------------------


def test_spring_festival_2025_package_data() -> None:
    # 除夕 (01-28) is a statutory holiday from 2025; holidays 01-28..02-04;
    # make-up working days Sunday 01-26 and Saturday 02-08.
    holidays = [date(2025, 1, 28) + timedelta(days=i) for i in range(8)]
    assert all(not chinese_calendar.is_workday(d) for d in holidays)
    assert chinese_calendar.get_holiday_detail(date(2025, 1, 28))[1] == "Spring Festival"
    assert date(2025, 1, 26).weekday() == 6 and chinese_calendar.is_workday(date(2025, 1, 26))
    assert date(2025, 2, 8).weekday() == 5 and chinese_calendar.is_workday(date(2025, 2, 8))
    assert [CAL.is_workday(d) for d in holidays] == [False] * 8


def test_spring_festival_2025_deadline() -> None:
    start = at(2025, 1, 24)  # Friday
    assert add_working_days(CAL, start, 1).due_at == eod(2025, 1, 26)  # make-up Sunday
    assert add_working_days(CAL, start, 2).due_at == eod(2025, 1, 27)
    due = add_working_days(CAL, start, 3)  # 01-28 除夕 .. 02-04 skipped
    assert due.due_at == eod(2025, 2, 5)
    assert due.source == PACKAGE_SOURCE
    assert add_working_days(CAL, at(2025, 2, 7), 1).due_at == eod(2025, 2, 8)  # make-up Saturday
    assert add_working_days(CAL, at(2025, 2, 7), 2).due_at == eod(2025, 2, 10)


# --- 2027: fallback, then entered overrides ----------------------------------------------------

# Invented for the test only — NOT the official 2027 schedule.
TEST_2027 = [
    *(
        DayOverride(date(2027, 2, 5) + timedelta(days=i), "holiday", "test holiday")
        for i in range(7)
    ),
    DayOverride(date(2027, 2, 13), "workday", "test make-up Saturday"),
]


def test_2027_deadline_through_fallback() -> None:
    due = add_working_days(CAL, at(2027, 2, 3), 3)  # Wed → Thu, Fri, Mon
    assert due.due_at == eod(2027, 2, 8)
    assert due.source == FALLBACK_SOURCE
    assert due.uses_fallback


def test_2027_deadline_through_complete_overrides() -> None:
    cal = WorkdayCalendar(TEST_2027, complete_years={2027})
    due = add_working_days(cal, at(2027, 2, 3), 3)  # Thu 02-04, skip 05..11, Fri 12, Sat 13
    assert due.due_at == eod(2027, 2, 13)
    assert due.source == OVERRIDE_SOURCE
    assert not due.uses_fallback


def test_2027_partial_overrides_still_flag_fallback() -> None:
    cal = WorkdayCalendar(TEST_2027)  # entered but not declared complete
    due = add_working_days(cal, at(2027, 2, 3), 3)
    assert due.due_at == eod(2027, 2, 13)
    assert due.source == "override+fallback-weekends"
    assert due.uses_fallback


def test_deadline_across_package_and_fallback_years() -> None:
    due = add_working_days(CAL, at(2026, 12, 29), 5)
    assert due.source == f"{PACKAGE_SOURCE}+{FALLBACK_SOURCE}"


def test_zero_days_is_end_of_start_day() -> None:
    due = add_working_days(CAL, at(2027, 2, 3), 0)
    assert due.due_at == eod(2027, 2, 3)
    assert due.source == FALLBACK_SOURCE
    assert add_calendar_days(at(2027, 2, 3), 0).due_at == eod(2027, 2, 3)


def test_negative_counts_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_days(CAL, at(2027, 2, 3), -1)
    with pytest.raises(ValueError):
        add_calendar_days(at(2027, 2, 3), -1)
    with pytest.raises(ValueError):
        add_hours(at(2027, 2, 3), -1)
    with pytest.raises(ValueError):
        working_days_before(CAL, eod(2027, 2, 3), -1)


# --- pauses -------------------------------------------------------------------------------------


def test_pause_excludes_paused_days() -> None:
    start = at(2018, 11, 5)  # Monday, ordinary weeks
    assert add_working_days(CAL, start, 5).due_at == eod(2018, 11, 12)
    # Paused Wed 14:00, materials supplied Thu 10:00: both whole days are removed.
    pause = [(at(2018, 11, 7, 14), at(2018, 11, 8, 10))]
    due = add_working_days(CAL, start, 5, pause)
    assert due.due_at == eod(2018, 11, 14)  # 06, 09, 12, 13, 14


def test_same_day_pause_removes_one_day() -> None:
    pause = [(at(2018, 11, 7, 9), at(2018, 11, 7, 11))]
    assert add_working_days(CAL, at(2018, 11, 5), 5, pause).due_at == eod(2018, 11, 13)


def test_pause_over_weekend_only_removes_working_days_once() -> None:
    pause = [(at(2018, 11, 10, 9), at(2018, 11, 11, 9))]  # Sat–Sun: nothing to remove
    assert add_working_days(CAL, at(2018, 11, 5), 5, pause).due_at == eod(2018, 11, 12)


def test_pause_before_start_is_ignored_and_straddling_pause_counts() -> None:
    before = [(at(2018, 10, 29), at(2018, 10, 30))]
    assert add_working_days(CAL, at(2018, 11, 5), 5, before).due_at == eod(2018, 11, 12)
    straddling = [(at(2018, 11, 2), at(2018, 11, 6))]  # removes 11-06
    assert add_working_days(CAL, at(2018, 11, 5), 5, straddling).due_at == eod(2018, 11, 13)


def test_overlapping_and_adjacent_pauses_merge() -> None:
    pauses = [
        (at(2018, 11, 8), at(2018, 11, 9)),
        (at(2018, 11, 6), at(2018, 11, 8, 12)),
        (at(2018, 11, 12), at(2018, 11, 12, 11)),
    ]
    # 06..09 (merged) and 12 removed → counted 13, 14, 15, 16, 19
    assert add_working_days(CAL, at(2018, 11, 5), 5, pauses).due_at == eod(2018, 11, 19)


def test_open_pause_has_no_due_date() -> None:
    pause = [(at(2018, 11, 7, 14), None)]
    with pytest.raises(OpenPauseError):
        add_working_days(CAL, at(2018, 11, 5), 5, pause)
    with pytest.raises(OpenPauseError):
        add_calendar_days(at(2018, 11, 5), 5, pause)
    with pytest.raises(OpenPauseError):
        add_hours(at(2018, 11, 5), 72, pause)
    assert due_or_none(CAL, "working_days", at(2018, 11, 5), 5, pause) is None
    assert due_or_none(CAL, "calendar_days", at(2018, 11, 5), 5, pause) is None
    assert due_or_none(CAL, "hours", at(2018, 11, 5), 72, pause) is None


def test_open_pause_after_the_deadline_does_not_matter() -> None:
    # Already overdue when paused: the due date stays known.
    pause = [(at(2018, 11, 20), None)]
    assert add_working_days(CAL, at(2018, 11, 5), 5, pause).due_at == eod(2018, 11, 12)
    assert add_hours(at(2018, 11, 5), 24, pause).due_at == at(2018, 11, 6).astimezone(UTC)


def test_due_or_none_dispatches_units() -> None:
    start = at(2018, 9, 28)
    assert due_or_none(CAL, "working_days", start, 3) == add_working_days(CAL, start, 3)
    assert due_or_none(CAL, "calendar_days", start, 7) == add_calendar_days(start, 7)
    assert due_or_none(CAL, "hours", start, 48) == add_hours(start, 48)
    with pytest.raises(ValueError):
        due_or_none(CAL, "weeks", start, 1)  # type: ignore[arg-type]


def test_pause_ending_before_it_starts_rejected() -> None:
    bad = [(at(2018, 11, 8), at(2018, 11, 7))]
    with pytest.raises(ValueError):
        add_working_days(CAL, at(2018, 11, 5), 5, bad)
    with pytest.raises(ValueError):
        add_hours(at(2018, 11, 5), 5, bad)


# --- calendar days and hours --------------------------------------------------------------------


def test_calendar_days_ignore_holidays_but_not_pauses() -> None:
    due = add_calendar_days(at(2018, 9, 28), 7)  # publicity over National Day
    assert due.due_at == eod(2018, 10, 5)
    assert due.source == SOURCE_CALENDAR_DAYS
    pause = [(at(2018, 10, 1, 9), at(2018, 10, 2, 17))]
    assert add_calendar_days(at(2018, 9, 28), 7, pause).due_at == eod(2018, 10, 7)


def test_hours_across_midnight() -> None:
    due = add_hours(at(2018, 11, 5, 22), 4)
    assert due.due_at == at(2018, 11, 6, 2).astimezone(UTC)
    assert due.due_at.tzinfo is UTC
    assert due.source == SOURCE_HOURS


def test_hours_across_midnight_with_pause() -> None:
    # 22:00 start, paused 23:00–00:30: one hour runs before, three after → 03:30.
    pause = [(at(2018, 11, 5, 23), at(2018, 11, 6, 0, 30))]
    assert add_hours(at(2018, 11, 5, 22), 4, pause).due_at == at(2018, 11, 6, 3, 30)


def test_hours_pause_overlapping_start_and_each_other() -> None:
    pauses = [
        (at(2018, 11, 5, 21), at(2018, 11, 5, 22, 30)),  # started before the clock
        (at(2018, 11, 5, 22, 15), at(2018, 11, 5, 23)),  # overlaps the first
    ]
    assert add_hours(at(2018, 11, 5, 22), 2, pauses).due_at == at(2018, 11, 6, 1)


def test_hours_due_exactly_when_pause_starts() -> None:
    pause = [(at(2018, 11, 5, 12), None)]
    assert add_hours(at(2018, 11, 5, 10), 2, pause).due_at == at(2018, 11, 5, 12)


# --- naive datetimes ----------------------------------------------------------------------------


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2018, 9, 28, 10, 0)  # noqa: DTZ001 - deliberately naive
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(CAL, naive, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_calendar_days(naive, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours(naive, 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_days_between(CAL, naive, at(2018, 10, 8))
    with pytest.raises(ValueError, match="timezone-aware"):
        working_days_before(CAL, naive, 2)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(CAL, at(2018, 9, 28), 3, [(naive, None)])
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours(at(2018, 9, 28), 3, [(at(2018, 9, 28), naive)])
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(naive)


# --- working_days_between / working_days_before -------------------------------------------------


def test_working_days_between_symmetric() -> None:
    a, b = at(2018, 9, 28), at(2018, 10, 8, 9)
    assert working_days_between(CAL, a, b) == 3  # 09-29, 09-30, 10-08
    assert working_days_between(CAL, b, a) == -3
    assert working_days_between(CAL, a, a) == 0
    assert working_days_between(CAL, at(2018, 9, 28, 1), at(2018, 9, 28, 23)) == 0
    # Holiday-only stretch: no working days in between either way.
    assert working_days_between(CAL, at(2018, 10, 1), at(2018, 10, 7)) == 0
    assert working_days_between(CAL, at(2018, 10, 7), at(2018, 10, 1)) == 0
    # Counted by Shanghai date: 2018-10-07T16:30Z is 10-08 00:30 local.
    assert working_days_between(CAL, a, datetime(2018, 10, 7, 16, 30, tzinfo=UTC)) == 3


def test_working_days_before_for_reminders() -> None:
    due = add_working_days(CAL, at(2018, 9, 28), 3).due_at  # end of 10-08
    reminder = working_days_before(CAL, due, 2)
    assert reminder == eod(2018, 9, 29)  # from then on two working days (09-30, 10-08) are left
    assert working_days_between(CAL, reminder, due) == 2
    assert working_days_before(CAL, due, 0) == due
    assert working_days_before(CAL, due, 1) == eod(2018, 9, 30)


def test_working_days_before_non_working_due_day() -> None:
    due = add_calendar_days(at(2018, 9, 28), 7).due_at  # end of 10-05, a holiday
    reminder = working_days_before(CAL, due, 2)
    assert working_days_between(CAL, reminder, due) == 2
    assert reminder == eod(2018, 9, 28)  # 09-29 and 09-30 still to come


# --- YAML overrides -----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "overrides.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_seed_2027_file_is_incomplete_and_only_new_year() -> None:
    overrides, complete = load_overrides_yaml(SEED_2027)
    assert complete == set()
    assert overrides == [DayOverride(date(2027, 1, 1), "holiday", overrides[0].name)]
    assert "元旦" in overrides[0].name
    cal = load_calendar([SEED_2027])
    assert cal.uncovered_years([2027]) == [2027]
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.source_for(date(2027, 1, 4)) == FALLBACK_SOURCE


def test_load_yaml_complete_year(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
year: 2027
complete: true
source: test
days:
  - {date: 2027-02-05, kind: holiday, name: 测试}
  - date: "2027-02-13"
    kind: workday
""",
    )
    overrides, complete = load_overrides_yaml(p)
    assert complete == {2027}
    assert overrides == [
        DayOverride(date(2027, 2, 5), "holiday", "测试"),
        DayOverride(date(2027, 2, 13), "workday", ""),
    ]


def test_load_yaml_list_of_years_and_empty(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
- {year: 2027, complete: false, days: [{date: 2027-01-01, kind: holiday, name: 元旦}]}
- {year: 2028, complete: yes, days: []}
""",
    )
    overrides, complete = load_overrides_yaml(p)
    assert complete == {2028}
    assert [o.day for o in overrides] == [date(2027, 1, 1)]
    assert load_overrides_yaml(write(tmp_path, "# nothing yet\n")) == ([], set())


@pytest.mark.parametrize(
    ("body", "line", "field", "detail"),
    [
        ("  - {date: 2027-02-30, kind: holiday}\n", 4, "date", "not a valid date"),
        ("  - {date: 2027-13-01, kind: holiday}\n", 4, "date", "not a valid date"),
        ("  - {date: soon, kind: holiday}\n", 4, "date", "not a valid date"),
        ("  - {date: 2026-12-31, kind: holiday}\n", 4, "date", "not in year 2027"),
        ("  - {date: 2027-02-01, kind: vacation}\n", 4, "kind", "'holiday' or 'workday'"),
        ("  - {date: 2027-02-01}\n", 4, "kind", "missing"),
        ("  - {date: 2027-02-01, kind: holiday, nmae: x}\n", 4, "nmae", "unknown field"),
        (
            "  - {date: 2027-02-01, kind: holiday}\n  - {date: 2027-02-01, kind: workday}\n",
            5,
            "date",
            "already listed on line 4",
        ),
    ],
)
def test_load_yaml_errors_name_line_and_field(
    tmp_path: Path, body: str, line: int, field: str, detail: str
) -> None:
    p = write(tmp_path, "year: 2027\ncomplete: false\ndays:\n" + body)
    with pytest.raises(OverrideFileError) as info:
        load_overrides_yaml(p)
    message = str(info.value)
    assert f"{p}:{line}:" in message
    assert f"field {field!r}" in message
    assert detail in message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("year: 2027\ncomplete: maybe\n", "complete"),
        ("year: 2027\n", "complete"),
        ("year: next\ncomplete: false\n", "year"),
        ("year: 2027\ncomplete: false\ndays: 2027-01-01\n", "days"),
        ("- {year: 2027, complete: false}\n- {year: 2027, complete: true}\n", "year"),
    ],
)
def test_load_yaml_block_errors(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(OverrideFileError, match=f"field {field!r}"):
        load_overrides_yaml(write(tmp_path, text))


def test_load_yaml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(OverrideFileError, match="not valid YAML"):
        load_overrides_yaml(write(tmp_path, "year: [2027\n"))


# --- properties ---------------------------------------------------------------------------------

PROP_CAL = WorkdayCalendar(TEST_2027)  # exercises package, override and fallback days

starts = st.datetimes(
    min_value=datetime(2003, 6, 1),  # noqa: DTZ001 - hypothesis bounds must be naive
    max_value=datetime(2027, 6, 1),  # noqa: DTZ001
    timezones=st.sampled_from([LOCAL_TZ, UTC, timezone(timedelta(hours=-8))]),
)


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=60))
def test_property_working_days_land_on_working_day_and_round_trip(start: datetime, n: int) -> None:
    due = add_working_days(PROP_CAL, start, n)
    assert due.due_at.tzinfo is UTC
    assert due.due_at.astimezone(LOCAL_TZ).time() == time.max
    if n > 0:
        assert PROP_CAL.is_workday(due.local_day)
    assert working_days_between(PROP_CAL, start, due.due_at) == n
    assert working_days_between(PROP_CAL, due.due_at, start) == -n
    assert (
        working_days_between(PROP_CAL, working_days_before(PROP_CAL, due.due_at, n), due.due_at)
        == n
    )


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    n=st.integers(min_value=1, max_value=30),
    offset=st.integers(min_value=-5, max_value=40),
    length=st.integers(min_value=0, max_value=10 * 24),
)
def test_property_pause_never_shortens_and_skips_paused_days(
    start: datetime, n: int, offset: int, length: int
) -> None:
    paused_at = start + timedelta(days=offset)
    pause = [(paused_at, paused_at + timedelta(hours=length))]
    plain = add_working_days(PROP_CAL, start, n)
    paused = add_working_days(PROP_CAL, start, n, pause)
    assert paused.due_at >= plain.due_at
    assert PROP_CAL.is_workday(paused.local_day)
    first, last = local_date(pause[0][0]), local_date(pause[0][1])
    assert not first <= paused.local_day <= last
    hours = add_hours(start, n, pause)
    assert (
        hours.due_at >= add_hours(start, n).due_at == (start + timedelta(hours=n)).astimezone(UTC)
    )
