"""The queue's tab counts from the board counters equal the live count, on both databases.

queue_counts reads `board_counts` (plus a live count of the actor's own cases) when the filters
can be expressed on the counters' keys, and counts the open cases otherwise; `live=True` always
counts the open cases, the reference. Random worlds — case rows of every workflow and state,
open and final, filed at the district, in townships and a village, with and without due dates
and escalation, some claimed — then random moves behind the engine's back (the triggers keep
the counters), and for random actors, filters and clocks both ways must agree.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from support import SH, World

from caseflow.accounts.orgs import add_unit
from caseflow.clock.calendar_store import load_calendar
from caseflow.db.models import BoardCount, Case, OrgUnit
from caseflow.kernel.actors import Actor
from caseflow.kernel.roles import Role
from caseflow.read.board_counts import drift, roll_horizon
from caseflow.read.queue import TABS, QueueFilters, _counter_township, queue_counts, queue_page
from caseflow.workflow.registry import registry

START = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
ROLES = [r.value for r in Role if r is not Role.SYSTEM]


def _due(rnd: random.Random) -> datetime | None:
    """Deadlines as the engine makes them (ends of local days) and hour deadlines (anywhere)."""
    pick = rnd.random()
    if pick < 0.15:
        return None
    day = START.replace(hour=0, minute=0, second=0, microsecond=0)
    day += timedelta(days=rnd.randrange(-12, 12))
    if pick < 0.8:
        return day + timedelta(days=1) - timedelta(microseconds=1)
    return day + timedelta(hours=rnd.randrange(24), minutes=rnd.randrange(60))


def _units(world: World) -> list[OrgUnit]:
    s = world.session
    other_village = s.scalar(select(OrgUnit).where(OrgUnit.code == "640502101001"))
    if other_village is None:
        other_village = add_unit(s, "640502101001", "另一村", "village", world.other_township)
        s.commit()
    return [world.district, world.township, world.village, world.other_township, other_village]


def _populate(world: World, rnd: random.Random, n: int) -> list[int]:
    """`n` case rows by SQL, in any state of their workflow; returns the user ids in play."""
    reg = registry()
    units = _units(world)
    users = sorted(u.id for u in world.users.values())
    rows = []
    for i in range(n):
        wf = reg.workflow(rnd.choice(sorted(reg.workflows)))
        state = rnd.choice(sorted(wf.states))
        unit = rnd.choice(units)
        rows.append(
            {
                "case_no": f"Q-{rnd.randrange(10**9)}-{i}",
                "case_type": wf.case_type,
                "workflow_key": wf.key,
                "ruleset_key": "national-2021",
                "state": state,
                "is_final": wf.states[state].final,
                "household_id": None,
                "org_unit_id": unit.id,
                "org_path": unit.path,
                "opened_at": START,
                "state_entered_at": START,
                "due_at": _due(rnd),
                "escalation_level": rnd.choice((0, 0, 1, 2, 3, 4)),
                "assignee_id": rnd.choice([None, None, *users[:4]]),
            }
        )
    world.session.execute(insert(Case), rows)
    world.session.commit()
    return users


def _shuffle(world: World, rnd: random.Random, users: list[int], moves: int) -> None:
    """Random single-column moves, as a repair script would make them: the triggers follow."""
    s = world.session
    reg = registry()
    units = _units(world)
    ids = sorted(s.scalars(select(Case.id)))
    for _ in range(moves):
        case_id = rnd.choice(ids)
        wf = reg.workflow(s.scalars(select(Case.workflow_key).where(Case.id == case_id)).one())
        choice = rnd.randrange(5)
        values: dict[str, Any]
        if choice == 0:
            state = rnd.choice(sorted(wf.states))
            values = {"state": state, "is_final": wf.states[state].final}
        elif choice == 1:
            unit = rnd.choice(units)
            values = {"org_path": unit.path, "org_unit_id": unit.id}
        elif choice == 2:
            values = {"due_at": _due(rnd)}
        elif choice == 3:
            values = {"escalation_level": rnd.randrange(5)}
        else:
            values = {"assignee_id": rnd.choice([None, *users[:4]])}
        s.execute(update(Case).where(Case.id == case_id).values(**values))
    s.commit()


def _actor(world: World, rnd: random.Random, users: list[int]) -> Actor:
    roles = frozenset(rnd.sample(ROLES, rnd.choice((1, 1, 1, 2))))
    path = rnd.choice(
        [world.district.path] * 3
        + [world.township.path] * 3
        + [world.other_township.path, world.village.path, "/"]
    )
    return Actor(rnd.choice([None, *users[:5]]), "x", roles, path)


def _filters(world: World, rnd: random.Random) -> QueueFilters:
    reg = registry()
    states = sorted({s for wf in reg.workflows.values() for s in wf.states})
    types = sorted({wf.case_type for wf in reg.workflows.values()})

    def maybe(options: list[str], share: float) -> str:
        return rnd.choice(options) if rnd.random() < share else ""

    filters = QueueFilters.for_tab(
        rnd.choice(TABS),
        case_type=maybe([*types, "nope"], 0.4),
        state=maybe([*states, "nope"], 0.4),
        township=maybe(["640502100", "640502101", "640502199", "abc", "640502100001"], 0.4),
        village=maybe(["640502100001", "640502101001"], 0.1),
        assignee=maybe(["mine", "unclaimed"], 0.2),
    )
    if rnd.random() < 0.1:  # overdue and escalated at once: no tab does it, but it is valid
        filters = replace(filters, overdue=True, escalated=True)
    return filters


def _nows(rnd: random.Random) -> list[datetime]:
    midnight = START.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = midnight + timedelta(days=rnd.randrange(-5, 5), microseconds=-1)
    last_of_start_day = midnight + timedelta(days=1, microseconds=-1)
    return [START + timedelta(hours=rnd.randrange(-300, 300)), end_of_day, START, last_of_start_day]


@pytest.mark.parametrize("seed", range(3))
def test_counter_counts_equal_live_counts(world: World, seed: int) -> None:
    """Seed 0 with exact counter keys; 1 and 2 with the counters folded for START's day
    (caseflow.read.board_counts.roll_horizon), where START and its day's last instant use them."""
    rnd = random.Random(seed)
    s = world.session
    users = _populate(world, rnd, 400)
    if seed:
        assert roll_horizon(s, load_calendar(s), START)
    fast_paths = 0
    for round_ in range(3):
        if round_:
            _shuffle(world, rnd, users, 150)
        assert drift(s).ok
        for _ in range(150):
            actor = _actor(world, rnd, users)
            filters = _filters(world, rnd)
            fast_paths += _counter_township(actor, filters) is not None
            for now in _nows(rnd):
                fast = queue_counts(s, actor, now, filters)
                live = queue_counts(s, actor, now, filters, live=True)
                assert fast == live, (actor, filters, now)
            s.rollback()
    # Most combinations went through the counters, and they counted something.
    assert fast_paths > 200
    assert s.scalar(select(BoardCount.n).limit(1))


def test_counter_counts_on_the_queue_page(world: World) -> None:
    """The page's counts and total (which decides the paging) come out the same either way.
    (These SQL-made cases have no household, so the page lists none of them: not the point.)"""
    rnd = random.Random(11)
    users = _populate(world, rnd, 300)
    s = world.session
    approver = world.actor("approver")
    reviewer = world.actor("reviewer")
    s.execute(update(Case).where(Case.id % 3 == 0).values(assignee_id=approver.user_id))
    s.commit()
    assert users
    for actor in (approver, reviewer):
        for tab in TABS:
            filters = QueueFilters.for_tab(tab)
            page = queue_page(s, actor, START, filters, per_page=7)
            live = queue_counts(s, actor, START, filters, live=True)
            assert (page.counts, page.total) == live
            assert page.counts.all and page.counts.mine
