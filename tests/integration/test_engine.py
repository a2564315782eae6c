"""engine.fire on SQLite and PostgreSQL: paths, permissions, guards, atomicity, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import T0, World
from walker import PUBLICITY_RUNS_OUT, Walker, sample_payload, shortest_path

from caseflow.accounts.users import new_user
from caseflow.clock import deadlines as deadlines_module
from caseflow.db.models import Case, CaseEvent, Deadline
from caseflow.engine.audit import verify_chains
from caseflow.engine.fire import available_transitions, fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    GuardFailed,
    PayloadInvalid,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
)
from caseflow.kernel.roles import Role
from caseflow.workflow.registry import registry

# Household cases only: the township's payment roll is walked in tests/integration/test_payments.py.
WORKFLOWS = sorted(k for k, wf in registry().workflows.items() if wf.household_bound)


def snapshot(session: Session, case_id: int) -> tuple[Any, ...]:
    """Everything fire may touch, to prove a refused fire touched nothing."""
    session.expire_all()
    case = session.get(Case, case_id)
    assert case is not None
    events = session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))
    rows = session.execute(
        select(Deadline.id, Deadline.closed_at, Deadline.due_at)
        .where(Deadline.case_id == case_id)
        .order_by(Deadline.id)
    ).all()
    return case.state, case.version, events, tuple(rows)


@pytest.mark.parametrize("key", WORKFLOWS)
def test_every_final_state_is_reached_by_walking_the_workflow(world: World, key: str) -> None:
    wf = registry().workflow(key)
    for state in (s for s in wf.states.values() if s.final):
        case = Walker(world, T0).to_state(wf, state.name)
        assert case.is_final and case.closed_at is not None
        open_deadlines = world.session.scalar(
            select(func.count()).where(Deadline.case_id == case.id, Deadline.closed_at.is_(None))
        )
        assert open_deadlines == 0, f"{key}/{state.name} left deadlines open"
    assert list(verify_chains(world.session)) == []


def test_open_case_writes_event_and_deadlines(world: World) -> None:
    hh = world.household()
    case = open_case(world.session, "dibao", hh.id, world.actor("clerk"), T0, summary="申请低保")
    assert case.state == "accepted" and case.version == 1
    assert case.ruleset_key == "ningxia-640502-2021"
    assert case.case_no.startswith("DB-640502100-2026-")
    event = world.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
    assert (event.trigger, event.from_state, event.to_state, event.seq) == (
        "open",
        None,
        "accepted",
        1,
    )
    rules = set(world.session.scalars(select(Deadline.rule).where(Deadline.case_id == case.id)))
    assert rules == {"total", "start_investigation"}


def test_case_numbers_count_up_within_their_series(world: World) -> None:
    """Each (type, township, year) series counts on from its newest number, whatever other series
    sort after it (the newest is sought in the case_no index, one row)."""
    s = world.session
    clerk = world.actor("clerk")
    numbers = [
        open_case(s, wf, world.household().id, clerk, T0).case_no
        for wf in ("dibao", "tekun", "dibao", "temporary", "dibao")
    ]
    other = open_case(
        s, "dibao", world.household(unit=world.other_township).id, world.actor("other_clerk"), T0
    ).case_no
    # A number far ahead in a series sorting after DB-…: a later series must not be read as ours.
    s.execute(
        Case.__table__.update()
        .where(Case.case_no == numbers[1])
        .values(case_no=numbers[1].rsplit("-", 1)[0] + "-000900")
    )
    s.commit()
    again = open_case(s, "dibao", world.household().id, clerk, T0).case_no
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["000001"] * 2 + ["000002", "000001", "000003"]
    assert numbers[0].startswith("DB-640502100-2026-") and numbers[1].startswith("TK-640502100-")
    assert other.endswith("-000001") and not other.startswith("DB-640502100-")
    assert again == "DB-640502100-2026-000004"
    assert open_case(s, "tekun", world.household().id, clerk, T0).case_no.endswith("-000901")


def test_open_case_refuses_a_role_that_may_not_accept(world: World) -> None:
    hh = world.household()
    with pytest.raises(PermissionDenied):
        open_case(world.session, "dibao", hh.id, world.actor("approver"), T0)


def test_open_case_refuses_a_household_outside_jurisdiction(world: World) -> None:
    hh = world.household()
    with pytest.raises(CaseNotFound):
        open_case(world.session, "dibao", hh.id, world.actor("other_clerk"), T0)


def _role_actor(world: World, role: str) -> Actor:
    """A fresh district-level user holding only `role` (jurisdiction everywhere)."""
    if role == Role.SYSTEM:
        return SYSTEM_ACTOR
    username = f"only_{role}"
    if username not in world.users:
        user = new_user(username, username, world.district, [role], T0)
        world.session.add(user)
        world.session.commit()
        world.users[username] = user
    return world.actor(username)


def _transitions(key: str) -> list[str]:
    return [t.trigger + "@" + t.sources[0] for t in registry().workflow(key).transitions]


@pytest.mark.parametrize(("key", "which"), [(k, w) for k in WORKFLOWS for w in _transitions(k)])
def test_role_matrix(world: World, key: str, which: str) -> None:
    """Every allowed role may fire each transition; every other role gets PermissionDenied."""
    wf = registry().workflow(key)
    trigger, source = which.split("@")
    t = wf.transition_for(source, trigger)
    assert t is not None
    walker = Walker(world, T0)
    case = walker.to_state(wf, source, then=t)
    before = snapshot(world.session, case.id)
    for role in (r for r in Role if r not in t.roles):
        with pytest.raises(PermissionDenied):
            fire(
                world.session,
                case.id,
                trigger,
                _role_actor(world, role),
                walker.tick(),
                sample_payload(t, case),
            )
    assert snapshot(world.session, case.id) == before
    for role in sorted(t.roles):
        walker = Walker(world, T0)
        case = walker.to_state(wf, source, then=t)
        result = fire(
            world.session,
            case.id,
            trigger,
            _role_actor(world, role),
            walker.tick(),
            sample_payload(t, case),
        )
        assert result.to_state == (t.dest or source)


def test_actor_outside_jurisdiction_is_denied(world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "township_review")
    before = snapshot(world.session, case.id)
    with pytest.raises(CaseNotFound):
        fire(
            world.session,
            case.id,
            "start_publicity",
            world.actor("other_reviewer"),
            T0,
            {"place": "村委会公示栏"},
        )
    assert snapshot(world.session, case.id) == before
    assert available_transitions(world.session, case, world.actor("other_reviewer"), T0) == []


def test_investigator_may_not_also_approve(world: World) -> None:
    both = new_user("both", "both", world.district, [Role.INVESTIGATOR, Role.DISTRICT_APPROVER], T0)
    world.session.add(both)
    world.session.commit()
    world.users["both"] = both
    wf = registry().workflow("dibao")
    walker = Walker(world, T0)
    case = walker.to_state(wf, "investigating")
    fire(
        world.session,
        case.id,
        "sign_home_visit",
        world.actor("both"),
        walker.tick(),
        {"visit_date": "2026-03-02", "findings": "属实"},
    )
    for t in shortest_path(wf, "district_review")[len(shortest_path(wf, "investigating")) :]:
        walker.step(case, t)
    before = snapshot(world.session, case.id)
    with pytest.raises(PermissionDenied, match="职责分离"):
        fire(
            world.session,
            case.id,
            "approve",
            world.actor("both"),
            walker.tick(),
            sample_payload(wf.transition_for("district_review", "approve"), case),  # type: ignore[arg-type]
        )
    assert snapshot(world.session, case.id) == before


def test_staff_relative_may_not_act_and_district_visit_is_required(world: World) -> None:
    wf = registry().workflow("dibao")
    hh = world.household()
    world.declare_relative(hh, "reviewer")
    case = open_case(
        world.session,
        "dibao",
        hh.id,
        world.actor("clerk"),
        T0,
        flags=__import__("caseflow.engine.fire", fromlist=["CaseFlags"]).CaseFlags(
            staff_relative=True
        ),
    )
    walker = Walker(world, T0)
    for t in shortest_path(wf, "township_review"):
        walker.step(case, t)
    with pytest.raises(PermissionDenied, match="回避"):
        fire(
            world.session,
            case.id,
            "start_publicity",
            world.actor("reviewer"),
            walker.tick(),
            {"place": "公示栏"},
        )
    # The leader cannot publicise (no role), so a colleague reviewer from the district steps in.
    sub = _role_actor(world, Role.TOWNSHIP_REVIEWER)
    fire(world.session, case.id, "start_publicity", sub, walker.tick(), {"place": "公示栏"})
    walker.now += PUBLICITY_RUNS_OUT  # publicity runs its full seven days; the timer ends it
    fire(world.session, case.id, "publicity_ended", SYSTEM_ACTOR, walker.tick())
    approve = sample_payload(wf.transition_for("district_review", "approve"), case)  # type: ignore[arg-type]
    with pytest.raises(GuardFailed, match="区级入户核查"):
        fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), approve)
    fire(
        world.session,
        case.id,
        "record_district_visit",
        world.actor("supervisor"),
        walker.tick(),
        {"findings": "入户核查属实"},
    )
    assert (
        fire(
            world.session, case.id, "approve", world.actor("approver"), walker.tick(), approve
        ).to_state
        == "approved"
    )


def test_failing_guard_changes_nothing(world: World) -> None:
    wf = registry().workflow("dibao")
    walker = Walker(world, T0)
    case = walker.to_state(wf, "investigating")
    fire(
        world.session,
        case.id,
        "sign_home_visit",
        world.actor("inv1"),
        walker.tick(),
        {"visit_date": "2026-03-02", "findings": "属实"},
    )
    before = snapshot(world.session, case.id)
    with pytest.raises(GuardFailed) as err:
        fire(
            world.session,
            case.id,
            "submit_investigation",
            world.actor("inv1"),
            walker.tick(),
            {"summary": "符合条件"},
        )
    assert err.value.guard == "two_investigators_signed"
    assert "两名不同调查员" in err.value.message_zh
    with pytest.raises(GuardFailed, match="另一名调查员"):
        fire(
            world.session,
            case.id,
            "sign_home_visit",
            world.actor("inv1"),
            walker.tick(),
            {"visit_date": "2026-03-02", "findings": "再签一次"},
        )
    assert snapshot(world.session, case.id) == before


def test_exception_after_state_change_rolls_everything_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "accepted")
    before = snapshot(world.session, case.id)

    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full while writing deadlines")

    monkeypatch.setattr(deadlines_module, "on_state_change", explode)
    with pytest.raises(RuntimeError):
        fire(world.session, case.id, "start_investigation", world.actor("clerk"), walker.tick())
    assert snapshot(world.session, case.id) == before


@pytest.mark.parametrize(
    ("trigger", "payload", "error"),
    [
        ("no_such_action", {}, UnknownTrigger),
        ("approve", {}, TransitionNotAllowed),
        ("request_materials", {}, PayloadInvalid),
        ("request_materials", {"missing_items": ["户口簿"], "extra": 1}, PayloadInvalid),
    ],
)
def test_bad_input_is_a_typed_error_and_changes_nothing(
    world: World, trigger: str, payload: dict[str, Any], error: type[Exception]
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    before = snapshot(world.session, case.id)
    with pytest.raises(error) as err:
        fire(world.session, case.id, trigger, world.actor("clerk"), T0, payload)
    assert getattr(err.value, "message_zh", "")
    assert snapshot(world.session, case.id) == before


def test_payload_errors_name_each_field_in_chinese(world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("temporary"), "accepted")
    with pytest.raises(PayloadInvalid) as err:
        fire(
            world.session,
            case.id,
            "declare_emergency",
            world.actor("clerk"),
            T0,
            {"emergency_kind": "其他"},
        )
    assert set(err.value.fields) == {"emergency_kind", "situation"}
    assert "请填写紧急情况" in err.value.fields["situation"]


def test_stale_version_is_a_conflict(world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    before = snapshot(world.session, case.id)
    with pytest.raises(ConcurrencyConflict):
        fire(
            world.session,
            case.id,
            "start_investigation",
            world.actor("clerk"),
            T0,
            expected_version=case.version - 1 if case.version > 1 else 99,
        )
    assert snapshot(world.session, case.id) == before


def test_available_transitions_match_what_fire_accepts(world: World) -> None:
    wf = registry().workflow("dibao")
    walker = Walker(world, T0)
    case = walker.to_state(wf, "investigating")
    inv = world.actor("inv1")
    names = {a.trigger for a in available_transitions(world.session, case, inv, T0)}
    # submit waits for signatures; no visit date to correct before the first signature
    assert names == {"sign_home_visit", "record_assessment", "record_household_means"}
    blocked = available_transitions(world.session, case, inv, T0, include_blocked=True)
    reasons = {a.trigger: a.blocked_reason for a in blocked}
    assert reasons["submit_investigation"] and "两名" in reasons["submit_investigation"]
    # A clerk has no role for these actions, so no reason leaks to them.
    clerk_names = {
        a.trigger
        for a in available_transitions(
            world.session, case, world.actor("clerk"), T0, include_blocked=True
        )
    }
    assert "submit_investigation" not in clerk_names
    walker.sign_twice(case)
    reasons = {
        a.trigger: a.blocked_reason
        for a in available_transitions(world.session, case, inv, T0, include_blocked=True)
    }
    assert "家庭经济状况核对" in (reasons["submit_investigation"] or "")
    walker.record_assessment(case)
    names = {a.trigger for a in available_transitions(world.session, case, inv, walker.now)}
    assert "submit_investigation" in names


def test_minor_tekun_skips_publicity_and_adult_may_not(world: World) -> None:
    wf = registry().workflow("tekun")
    minor_case = Walker(world, T0).to_state(wf, "township_review")
    assert {
        a.trigger
        for a in available_transitions(world.session, minor_case, world.actor("reviewer"), T0)
    } >= {"start_publicity"}
    walker = Walker(world, T0)
    case = walker.open(wf, minor=True)
    for t in shortest_path(wf, "township_review"):
        walker.step(case, t)
    with pytest.raises(GuardFailed, match="未成年人"):
        fire(
            world.session,
            case.id,
            "start_publicity",
            world.actor("reviewer"),
            walker.tick(),
            {"place": "公示栏"},
        )
    fire(world.session, case.id, "skip_publicity_minor", world.actor("reviewer"), walker.tick())


@pytest.mark.parametrize("case_id", [0, -1, 2**63, 10**30])
def test_impossible_ids_are_not_found_not_crashes(world: World, case_id: int) -> None:
    with pytest.raises(CaseNotFound):
        fire(world.session, case_id, "approve", world.actor("approver"), T0)
    with pytest.raises(CaseNotFound):
        open_case(world.session, "dibao", case_id, world.actor("clerk"), T0)
