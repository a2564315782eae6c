"""The priority groups come from the household's facts at intake (serious illness, severe
disability) as well as from the window's ticks, and move the case up the queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from support import T0, World

from caseflow.casework.intake import IntakeRequest, start_case
from caseflow.db.models import Case, CaseEvent
from caseflow.read.queue import queue_page


def _open(world: World, **ticks: bool) -> Case:
    hh = world.household()
    req = IntakeRequest(hh.id, "dibao", supplied=("application",), summary="申请低保", **ticks)
    return start_case(world.session, world.actor("clerk"), req, T0).case


def test_serious_illness_and_severe_disability_in_the_facts_flag_the_case(world: World) -> None:
    plain = _open(world)
    assert not (plain.flag_illness or plain.flag_disability)
    hh = world.household()
    hh.members[0].health = "serious_illness"
    hh.members[1].disability_grade = 2
    world.session.commit()
    req = IntakeRequest(hh.id, "dibao", supplied=("application",), summary="申请低保")
    case = start_case(world.session, world.actor("clerk"), req, T0).case
    assert case.flag_illness and case.flag_disability and not case.flag_sudden
    opened = world.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "open")
    )
    assert opened is not None and opened.payload["priority_from_facts"] == ["因大病", "因重残"]
    grade3 = world.household()
    grade3.members[0].disability_grade = 3  # not severe
    world.session.commit()
    req = IntakeRequest(grade3.id, "dibao", supplied=("application",), summary="申请低保")
    assert not start_case(world.session, world.actor("clerk"), req, T0).case.flag_disability
    # Flagged from the facts, due later, it still comes before the plain case in the queue.
    soon, later = T0 + timedelta(days=1), T0 + timedelta(days=6)
    world.session.execute(update(Case).where(Case.id == plain.id).values(due_at=soon))
    world.session.execute(update(Case).where(Case.id == case.id).values(due_at=later))
    world.session.commit()
    ids = [r.id for r in queue_page(world.session, world.actor("clerk"), T0).rows]
    assert ids.index(case.id) < ids.index(plain.id)
