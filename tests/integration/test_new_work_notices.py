"""Urgent work announces itself: a case arriving in a step whose limit runs in hours (救急难), a
突发事件 case and a case under 督办 put an inbox row in front of the step's holders at once."""

from __future__ import annotations

from sqlalchemy import select, update
from support import T0, World

from caseflow.db.models import Case, Notification
from caseflow.engine.fire import CaseFlags, fire, open_case


def _told(world: World, case_id: int) -> dict[int, str]:
    world.session.rollback()
    rows = world.session.execute(
        select(Notification.user_id, Notification.title).where(
            Notification.case_id == case_id, Notification.kind == "new_work"
        )
    ).all()
    return dict(rows)


def test_an_emergency_reaching_the_reviewer_tells_the_reviewer_not_the_clerk(world: World) -> None:
    hh = world.household()
    case = open_case(world.session, "temporary", hh.id, world.actor("clerk"), T0, summary="火灾")
    fire(
        world.session,
        case.id,
        "declare_emergency",
        world.actor("clerk"),
        T0,
        {"emergency_kind": "急难型", "situation": "房屋失火"},
    )
    told = _told(world, case.id)
    assert list(told) == [world.users["reviewer"].id]
    assert (
        case.case_no in told[world.users["reviewer"].id]
        and "救急难：先行救助中" in told[world.users["reviewer"].id]
    )


def test_a_sudden_event_case_tells_the_next_steps_holders(world: World) -> None:
    hh = world.household()
    case = open_case(
        world.session,
        "dibao",
        hh.id,
        world.actor("clerk"),
        T0,
        flags=CaseFlags(sudden=True),
        summary="突发",
    )
    fire(world.session, case.id, "start_investigation", world.actor("clerk"), T0)
    assert set(_told(world, case.id)) == {world.users["inv1"].id, world.users["inv2"].id}


def test_ordinary_work_and_internal_events_tell_nobody(world: World) -> None:
    hh = world.household()
    case = open_case(world.session, "dibao", hh.id, world.actor("clerk"), T0, summary="普通")
    fire(world.session, case.id, "start_investigation", world.actor("clerk"), T0)
    assert _told(world, case.id) == {}
    # Under 督办: the case escalated to the district before the step was taken.
    world.session.execute(update(Case).where(Case.id == case.id).values(escalation_level=3))
    world.session.commit()
    fire(world.session, case.id, "record_complaint", world.actor("clerk"), T0, {"content": "举报"})
    assert _told(world, case.id) == {}  # stays in its step: nobody new holds it
