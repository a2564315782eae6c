"""Working-day deadlines through the engine, pause/resume, extension, escalation and the sweep."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from support import SH, T0, World
from walker import Walker

from caseflow.cli.main import main
from caseflow.clock.calendar_store import load_calendar, store_overrides
from caseflow.clock.deadlines import (
    LEVEL_BUREAU,
    LEVEL_DISTRICT,
    LEVEL_OVERDUE,
    LEVEL_REMINDED,
    pauses_total,
    total_deadline,
)
from caseflow.clock.workcal import DayOverride, WorkdayCalendar, add_working_days, end_of_local_day
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, CaseEvent, Deadline, Notification
from caseflow.engine.fire import fire, open_case
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.errors import GuardFailed, PermissionDenied
from caseflow.timer import sweep as sweep_module
from caseflow.timer.scheduler import SWEEP_LEASE, SweepScheduler, acquire_lease
from caseflow.timer.sweep import sweep
from caseflow.workflow.registry import registry


def state_deadline(world: World, case: Case, state: str) -> Deadline:
    world.session.rollback()
    return world.session.scalars(
        select(Deadline)
        .where(Deadline.case_id == case.id, Deadline.state == state)
        .order_by(Deadline.id.desc())
    ).first()  # type: ignore[return-value]


def opened(world: World, when: datetime, key: str = "dibao") -> Case:
    hh = world.household()
    return open_case(world.session, key, hh.id, world.actor("clerk"), when, summary="测试")


@pytest.mark.parametrize(
    ("accepted", "due_day", "source"),
    [
        # National Day 2018: 29 and 30 September were make-up working days, 1–7 October off.
        (datetime(2018, 9, 28, 10, 0, tzinfo=SH), date(2018, 10, 8), "chinesecalendar"),
        # Spring Festival 2025: 除夕 (28 January) a holiday; Sunday 26 January a make-up day.
        (datetime(2025, 1, 24, 10, 0, tzinfo=SH), date(2025, 2, 5), "chinesecalendar"),
    ],
)
def test_deadline_across_official_holidays(
    world: World, accepted: datetime, due_day: date, source: str
) -> None:
    case = opened(world, accepted)
    row = state_deadline(world, case, "accepted")
    assert row.rule == "start_investigation" and row.unit == "working_days"
    assert row.due_at == end_of_local_day(due_day)
    assert row.calendar_source.startswith(source)


def test_2027_uses_the_visible_fallback_then_entered_overrides(world: World) -> None:
    monday = datetime(2027, 1, 4, 9, 0, tzinfo=SH)
    first = opened(world, monday)
    row = state_deadline(world, first, "accepted")
    assert row.due_at == end_of_local_day(date(2027, 1, 7))
    assert "fallback-weekends" in row.calendar_source
    assert load_calendar(world.session).coverage_warnings([2027]) == [
        "2027 年法定节假日尚未录入，按周末推算"
    ]
    # Made-up test data (not the official 2027 notice): 5 January declared a holiday.
    with UnitOfWork(world.session) as uow:  # the clock's writer commits in the caller's unit
        store_overrides(
            world.session,
            [DayOverride(date(2027, 1, 5), "holiday", "测试假日")],
            {2027},
            world.users["admin"].id,
            monday,
        )
        uow.commit()
    assert load_calendar(world.session).coverage_warnings([2027]) == []
    second = opened(world, monday)
    row2 = state_deadline(world, second, "accepted")
    assert row2.due_at == end_of_local_day(date(2027, 1, 8))
    assert row2.calendar_source == "override"
    # The first case's stored due date is not silently recomputed.
    assert state_deadline(world, first, "accepted").due_at == end_of_local_day(date(2027, 1, 7))


def test_pause_excludes_the_paused_days_from_the_total(world: World) -> None:
    case = opened(world, T0)  # Monday 2 March 2026
    cal = WorkdayCalendar()
    world.session.rollback()
    assert total_deadline(world.session, case.id).due_at == add_working_days(cal, T0, 30).due_at
    fire(
        world.session,
        case.id,
        "request_materials",
        world.actor("clerk"),
        T0 + timedelta(days=1),
        {"missing_items": ["户口簿", "收入证明"]},
    )
    world.session.rollback()
    assert total_deadline(world.session, case.id).due_at is None  # the clock stands still
    fire(world.session, case.id, "materials_supplied", world.actor("clerk"), T0 + timedelta(days=4))
    world.session.rollback()
    # Tuesday to Friday were touched by the pause: four working days do not count.
    assert total_deadline(world.session, case.id).due_at == add_working_days(cal, T0, 34).due_at
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers == ["open", "request_materials", "materials_supplied"]


def test_publicity_counts_toward_total_is_a_rule_set_switch() -> None:
    reg = registry()
    publicizing = reg.workflow("dibao").states["publicizing"]
    national = reg.rulesets["national-2021"]
    assert pauses_total(publicizing, national) is False  # 57号 第二十二条: from acceptance
    assert pauses_total(publicizing, reg.rulesets["ningxia-640502-2021"]) is False
    excluded = replace(national, params={**national.params, "publicity_counts_toward_total": False})
    assert pauses_total(publicizing, excluded) is True


def test_total_extends_to_45_once_and_only_by_permitted_roles(world: World) -> None:
    case = opened(world, T0)
    with pytest.raises(PermissionDenied):
        fire(
            world.session,
            case.id,
            "extend_deadline",
            world.actor("clerk"),
            T0,
            {"reason": "需补充调查"},
        )
    fire(
        world.session,
        case.id,
        "extend_deadline",
        world.actor("leader"),
        T0,
        {"reason": "申请人外出务工，需补充调查"},
    )
    world.session.rollback()
    row = total_deadline(world.session, case.id)
    assert (row.amount, row.extended) == (45, True)
    assert row.due_at == add_working_days(WorkdayCalendar(), T0, 45).due_at
    with pytest.raises(GuardFailed, match="已延长过一次"):
        fire(
            world.session,
            case.id,
            "extend_deadline",
            world.actor("approver"),
            T0,
            {"reason": "再延长"},
        )
    event = world.session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.trigger == "extend_deadline"
        )
    ).one()
    assert event.actor_role == "township_leader" and "外出务工" in event.payload["reason"]


def test_a_case_keeps_the_rule_set_it_was_opened_under(world: World) -> None:
    old = opened(world, datetime(2020, 6, 1, 9, 0, tzinfo=SH))
    new = opened(world, T0)
    assert (old.ruleset_key, new.ruleset_key) == ("national-2012", "ningxia-640502-2021")


def _escalation_counts(world: World, case_id: int) -> dict[str, int]:
    world.session.rollback()
    rows = world.session.execute(
        select(CaseEvent.trigger, func.count())
        .where(CaseEvent.case_id == case_id, CaseEvent.actor_role == "system")
        .group_by(CaseEvent.trigger)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def test_ladder_reminder_overdue_district_bureau(engine: Engine, world: World) -> None:
    factory = make_session_factory(engine)
    case = opened(world, T0)  # investigation must start by the end of Thursday 5 March
    steps = [
        (datetime(2026, 3, 4, 9, 0, tzinfo=SH), LEVEL_REMINDED),
        (datetime(2026, 3, 6, 9, 0, tzinfo=SH), LEVEL_OVERDUE),
        (datetime(2026, 3, 11, 9, 0, tzinfo=SH), LEVEL_DISTRICT),
        (datetime(2026, 3, 20, 9, 0, tzinfo=SH), LEVEL_BUREAU),
    ]
    for now, level in steps:
        sweep(factory, now)
        assert state_deadline(world, case, "accepted").level == level
    assert _escalation_counts(world, case.id) == {
        "deadline_reminder": 1,
        "deadline_overdue": 1,
        "escalated_district": 1,
        "escalated_bureau": 1,
    }
    inbox = {(n.user_id, n.kind) for n in world.session.scalars(select(Notification))}
    users = world.users
    assert (users["clerk"].id, "reminder") in inbox
    assert (users["leader"].id, "overdue") in inbox
    assert (users["supervisor"].id, "escalated") in inbox
    assert (users["other_clerk"].id, "reminder") not in inbox  # another township's clerk


def test_two_sweeps_at_once_reach_each_level_exactly_once(engine: Engine, world: World) -> None:
    factory = make_session_factory(engine)
    cases = [opened(world, T0) for _ in range(5)]
    late = datetime(2026, 3, 20, 9, 0, tzinfo=SH)
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def run() -> None:
        barrier.wait()
        reports.append(sweep(factory, late))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.levels_reached for r in reports) == 4 * len(cases)
    assert all(not r.failed for r in reports)
    for case in cases:
        assert set(_escalation_counts(world, case.id).values()) == {1}
    assert sweep(factory, late).levels_reached == 0  # idempotent


def test_publicity_expiry_moves_the_case_once(engine: Engine, world: World) -> None:
    factory = make_session_factory(engine)
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "publicizing")
    after = walker.now + timedelta(days=9)
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        sweep(factory, after)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    world.session.rollback()
    assert world.session.get(Case, case.id, populate_existing=True).state == "district_review"
    fired = world.session.scalar(
        select(func.count()).where(
            CaseEvent.case_id == case.id, CaseEvent.trigger == "publicity_ended"
        )
    )
    assert fired == 1


def test_one_broken_case_does_not_block_the_rest(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = make_session_factory(engine)
    broken, healthy = opened(world, T0), opened(world, T0)
    original = sweep_module._notify_level

    def flaky(session: Any, case: Case, *args: Any) -> Any:
        if case.id == broken.id:
            raise RuntimeError("mail gateway exploded")
        return original(session, case, *args)

    monkeypatch.setattr(sweep_module, "_notify_level", flaky)
    report = sweep(factory, datetime(2026, 3, 4, 9, 0, tzinfo=SH))
    assert report.failed == [state_deadline(world, broken, "accepted").id]
    assert state_deadline(world, healthy, "accepted").level == LEVEL_REMINDED
    assert state_deadline(world, broken, "accepted").level == 0  # rolled back, retried next time


def test_tick_command_sweeps_at_the_given_time(engine: Engine, world: World) -> None:
    case = opened(world, T0)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main, ["tick", "--now", "2026-03-06T09:00:00+08:00"], env={"CASEFLOW_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert "提醒/升级 2 次" in result.output
    assert state_deadline(world, case, "accepted").level == LEVEL_OVERDUE


def test_only_one_scheduler_holds_the_sweep_lease(engine: Engine, world: World) -> None:
    factory = make_session_factory(engine)
    a = SweepScheduler(factory, interval=60, clock=lambda: T0)
    b = SweepScheduler(factory, interval=60, clock=lambda: T0)
    b.holder = "other-host:1"
    assert a.run_once() is True
    assert b.run_once() is False
    with factory() as session:  # after the lease expires (3 intervals), b takes over
        assert acquire_lease(
            session, SWEEP_LEASE, b.holder, T0 + timedelta(minutes=4), timedelta(minutes=3)
        )


def test_clock_view_shows_remaining_days_and_pauses(world: World) -> None:
    from caseflow.read.clock_view import case_deadlines, case_pauses_view

    case = opened(world, T0)
    fire(
        world.session,
        case.id,
        "request_materials",
        world.actor("clerk"),
        T0 + timedelta(days=1),
        {"missing_items": ["户口簿"]},
    )
    ruleset = registry().rulesets[case.ruleset_key]
    views = case_deadlines(world.session, case.id, ruleset, WorkdayCalendar(), T0)
    total = views[0]
    assert total.is_total and total.due_at is None  # paused: no due date while waiting
    closed = [v for v in views if v.closed]
    assert [v.label for v in closed] == ["受理后启动调查"]
    pauses = case_pauses_view(world.session, case.id)
    assert [(p.state, p.ended_at) for p in pauses] == [("awaiting_materials", None)]
    fire(world.session, case.id, "materials_supplied", world.actor("clerk"), T0 + timedelta(days=2))
    views = case_deadlines(world.session, case.id, ruleset, WorkdayCalendar(), T0)
    open_ = [v for v in views if not v.closed]
    assert open_[0].is_total and open_[0].remaining_working_days == 32  # 2 days paused
    assert open_[1].label == "受理后启动调查" and open_[1].remaining_working_days == 5


def test_case_row_carries_its_next_due_date_and_escalation_level(
    engine: Engine, world: World
) -> None:
    case = opened(world, T0)
    world.session.rollback()
    row = world.session.get(Case, case.id, populate_existing=True)
    assert row is not None
    assert row.due_at == state_deadline(world, case, "accepted").due_at  # earlier than the total
    assert row.escalation_level == 0
    sweep(make_session_factory(engine), datetime(2026, 3, 11, 9, 0, tzinfo=SH))
    world.session.rollback()
    row = world.session.get(Case, case.id, populate_existing=True)
    assert row is not None and row.escalation_level == LEVEL_DISTRICT
    fire(
        world.session,
        case.id,
        "start_investigation",
        world.actor("clerk"),
        datetime(2026, 3, 11, 10, 0, tzinfo=SH),
    )
    world.session.rollback()
    row = world.session.get(Case, case.id, populate_existing=True)
    assert row is not None and row.escalation_level == 0  # the overdue step is done
    assert row.due_at == state_deadline(world, case, "investigating").due_at
