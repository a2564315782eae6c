"""Procedure and clocks as the texts say: 特困 township handling is one 15-working-day limit from
acceptance (民发〔2021〕43号 第十三条), an objection always means re-investigation within 15
working days (第十五条第二款), the district decides within 15 (第十六条); publicity runs its full
seven days and only the timer ends it; minors skip publicity only where the rule set says so."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from support import T0, World
from walker import Walker, shortest_path

from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.workcal import add_calendar_days, add_working_days
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, CaseEvent, Deadline
from caseflow.engine.fire import available_transitions, fire
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import GuardFailed, PermissionDenied, UnknownTrigger
from caseflow.timer.sweep import sweep
from caseflow.workflow.registry import registry


def _rows(world: World, case: Case) -> list[Deadline]:
    world.session.rollback()
    return list(
        world.session.scalars(
            select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)
        )
    )


def _open_rows(world: World, case: Case) -> dict[str | None, Deadline]:
    return {r.state: r for r in _rows(world, case) if r.closed_at is None}


def _state(world: World, case: Case) -> str:
    world.session.rollback()
    return world.session.get(Case, case.id, populate_existing=True).state  # type: ignore[union-attr]


def _walk(walker: Walker, case: Case, target: str) -> None:
    """Step `case` on from where it stands to `target` along the shortest declared path."""
    wf = registry().workflow(case.workflow_key)
    here = _state(walker.world, case)
    done = 0 if here == wf.initial.name else len(shortest_path(wf, here))
    for t in shortest_path(wf, target)[done:]:
        walker.step(case, t)
    assert _state(walker.world, case) == target


def _under(world: World, case: Case, key: str) -> None:
    """Judge `case` by rule set `key` from now on (as if opened where `key` applies)."""
    world.session.execute(update(Case).where(Case.id == case.id).values(ruleset_key=key))
    world.session.commit()


# ---------------------------------------------------- 特困: township, objection, district


def test_tekun_township_handling_is_one_15_working_day_limit_from_acceptance(world: World) -> None:
    wf = registry().workflow("tekun")
    walker = Walker(world, T0)
    case = walker.open(wf)
    accepted_at = walker.now
    rows = _open_rows(world, case)
    assert set(rows) == {None, "phase:township"}  # the total and the township phase, nothing else
    phase = rows["phase:township"]
    assert (phase.rule, phase.amount, phase.unit) == ("tekun_township", 15, "working_days")
    assert phase.due_at == add_working_days(load_calendar(world.session), accepted_at, 15).due_at
    _walk(walker, case, "investigating")
    _walk(walker, case, "township_review")
    rows = _open_rows(world, case)
    assert set(rows) == {None, "phase:township"} and rows["phase:township"].id == phase.id
    _walk(walker, case, "publicizing")
    rows = _open_rows(world, case)
    assert set(rows) == {None, "publicizing"}
    closed = next(r for r in _rows(world, case) if r.id == phase.id)
    assert closed.closed_at is not None


def test_materials_supplied_starts_the_15_days_again(world: World) -> None:
    """受理 needs the full file (43号 第十二条): leaving to await materials ends the limit, and
    the township's 15 working days run from the day the file is complete."""
    walker = Walker(world, T0)
    case = walker.open(registry().workflow("tekun"))
    fire(
        world.session,
        case.id,
        "request_materials",
        world.actor("clerk"),
        walker.tick(),
        {"missing_items": ["户口簿"]},
    )
    assert set(_open_rows(world, case)) == {None}
    supplied = T0 + timedelta(days=9)
    fire(world.session, case.id, "materials_supplied", world.actor("clerk"), supplied)
    phase = _open_rows(world, case)["phase:township"]
    assert phase.started_at == supplied
    assert phase.due_at == add_working_days(load_calendar(world.session), supplied, 15).due_at


def test_a_tekun_objection_is_reinvestigated_within_15_working_days_then_publicised_again(
    world: World,
) -> None:
    wf = registry().workflow("tekun")
    walker = Walker(world, T0)
    case = walker.to_state(wf, "publicizing")
    objected = walker.tick()
    fire(
        world.session,
        case.id,
        "record_objection",
        world.actor("clerk"),
        objected,
        {"objection": "有收入"},
    )
    with pytest.raises(UnknownTrigger):  # no shortcut: the objection is always re-investigated
        fire(
            world.session,
            case.id,
            "dismiss_objection",
            world.actor("reviewer"),
            walker.tick(),
            {"reason": "异议不成立"},
        )
    reviewer_actions = {
        a.trigger
        for a in available_transitions(world.session, case, world.actor("reviewer"), walker.now)
    }
    assert (
        "order_reinvestigation" in reviewer_actions and "dismiss_objection" not in reviewer_actions
    )
    rows = _open_rows(world, case)
    assert set(rows) == {None, "phase:objection"}
    phase = rows["phase:objection"]
    assert (phase.rule, phase.amount) == ("tekun_reinvestigation", 15)
    assert phase.due_at == add_working_days(load_calendar(world.session), objected, 15).due_at
    _walk_from_objection(walker, case)
    assert _state(world, case) == "publicizing"  # publicised again
    assert set(_open_rows(world, case)) == {None, "publicizing"}


def _walk_from_objection(walker: Walker, case: Case) -> None:
    wf = registry().workflow("tekun")
    for trigger in ("order_reinvestigation", "submit_reinvestigation"):
        t = wf.transition_for(_state(walker.world, case), trigger)
        assert t is not None
        walker.step(case, t)


@pytest.mark.parametrize(("key", "amount"), [("tekun", 15), ("dibao", 10)])
def test_the_district_decides_within_its_programmes_limit(
    world: World, key: str, amount: int
) -> None:
    case = Walker(world, T0).to_state(registry().workflow(key), "district_review")
    row = _open_rows(world, case)["district_review"]
    assert (row.amount, row.unit) == (amount, "working_days")
    assert (
        row.due_at == add_working_days(load_calendar(world.session), row.started_at, amount).due_at
    )


# ---------------------------------------------------------------- publicity runs its full term

PUBLICISED = ["dibao", "tekun", "removal"]


@pytest.mark.parametrize("key", PUBLICISED)
def test_a_township_reviewer_can_no_longer_end_publicity(world: World, key: str) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow(key), "publicizing")
    later = walker.now + timedelta(days=10)
    reviewer = world.actor("reviewer")
    with pytest.raises(PermissionDenied):
        fire(world.session, case.id, "publicity_ended", reviewer, later)
    offered = available_transitions(world.session, case, reviewer, later, include_blocked=True)
    assert "publicity_ended" not in {a.trigger for a in offered}
    assert _state(world, case) == "publicizing"


@pytest.mark.parametrize("key", PUBLICISED)
def test_the_timer_ends_publicity_only_after_the_full_seven_days(world: World, key: str) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow(key), "publicizing")
    started = walker.now
    end = add_calendar_days(started, 7).due_at  # the end of the seventh day after it began
    for too_early in (started + timedelta(hours=1), end - timedelta(minutes=1), end):
        with pytest.raises(GuardFailed) as err:
            fire(world.session, case.id, "publicity_ended", SYSTEM_ACTOR, too_early)
        assert (
            err.value.guard == "publicity_period_elapsed" and "公示期未满" in err.value.message_zh
        )
    assert _state(world, case) == "publicizing"
    result = fire(
        world.session, case.id, "publicity_ended", SYSTEM_ACTOR, started + timedelta(days=8)
    )
    assert result.to_state == "district_review"


@pytest.mark.parametrize("key", PUBLICISED)
def test_an_objection_still_interrupts_publicity(world: World, key: str) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow(key), "publicizing")
    result = fire(
        world.session,
        case.id,
        "record_objection",
        world.actor("clerk"),
        walker.now + timedelta(days=2),
        {"objection": "邻居反映家中有车"},
    )
    assert result.to_state == "objection_review"


def test_a_stale_timer_cannot_cut_publicity_short(engine: Engine, world: World) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "publicizing")
    started = walker.now
    # A deadline row that says the publicity ran out the moment it began (a wrong rule set at
    # the time, a hand-edited row): the sweep reaches it, but the case may not move on.
    world.session.execute(
        update(Deadline)
        .where(Deadline.case_id == case.id, Deadline.state == "publicizing")
        .values(due_at=started, next_action_at=started)
    )
    world.session.commit()
    sweep(make_session_factory(engine), started + timedelta(hours=1))
    assert _state(world, case) == "publicizing"
    ended = world.session.scalar(
        select(CaseEvent.id).where(
            CaseEvent.case_id == case.id, CaseEvent.trigger == "publicity_ended"
        )
    )
    assert ended is None


def test_the_sweep_ends_publicity_when_the_seven_days_are_over(
    engine: Engine, world: World
) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("tekun"), "publicizing")
    sweep(make_session_factory(engine), walker.now + timedelta(days=6))
    assert _state(world, case) == "publicizing"
    sweep(make_session_factory(engine), walker.now + timedelta(days=8))
    assert _state(world, case) == "district_review"


# ---------------------------------------------------------------- minors and publicity


def _tekun_minor_in_township_review(world: World, ruleset_key: str) -> tuple[Walker, Case]:
    wf = registry().workflow("tekun")
    walker = Walker(world, T0)
    case = walker.open(wf, minor=True)
    _under(world, case, ruleset_key)
    for t in shortest_path(wf, "township_review"):
        walker.step(case, t)
    return walker, case


def test_under_the_national_rules_a_minor_is_publicised_like_everyone(world: World) -> None:
    walker, case = _tekun_minor_in_township_review(world, "national-2021")
    with pytest.raises(GuardFailed, match="未规定未成年人不公示"):
        fire(world.session, case.id, "skip_publicity_minor", world.actor("reviewer"), walker.tick())
    result = fire(
        world.session,
        case.id,
        "start_publicity",
        world.actor("reviewer"),
        walker.tick(),
        {"place": "村务公开栏"},
    )
    assert result.to_state == "publicizing"


def test_where_the_district_waives_it_a_minor_skips_publicity(world: World) -> None:
    walker, case = _tekun_minor_in_township_review(world, "ningxia-640502-2021")
    with pytest.raises(GuardFailed, match="未成年人"):
        fire(
            world.session,
            case.id,
            "start_publicity",
            world.actor("reviewer"),
            walker.tick(),
            {"place": "村务公开栏"},
        )
    result = fire(
        world.session, case.id, "skip_publicity_minor", world.actor("reviewer"), walker.tick()
    )
    assert result.to_state == "district_review"


# ---------------------------------------------------------------- the hearing and the total


def test_a_hearing_leaves_the_total_running_where_the_rule_set_says_nothing(world: World) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "objection_review")
    assert case.ruleset_key == "ningxia-640502-2021"  # inherits the national switch: off
    total_before = _open_rows(world, case)[None].due_at
    hearing_at: datetime = walker.tick()
    fire(
        world.session,
        case.id,
        "schedule_hearing",
        world.actor("reviewer"),
        hearing_at,
        {"hearing_date": "2026-03-20"},
    )
    total = _open_rows(world, case)[None]
    assert total.due_at is not None and total.due_at == total_before
