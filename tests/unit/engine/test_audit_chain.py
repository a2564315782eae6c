"""The audit chain: every fire() writes exactly one event, hashed onto the case's previous one;
verify_chains finds no break in an honest history, and finds an edited or a deleted event (in
the case it belongs to only)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from engine_world import Desk
from sqlalchemy import Executable, delete, text, update
from sqlalchemy.exc import IntegrityError

from caseflow.db.models import CaseEvent
from caseflow.engine.audit import GENESIS_HASH, ChainBreak, event_hash, verify_chains
from caseflow.kernel.errors import GuardFailed


def _tamper(desk: Desk, statement: Executable) -> None:
    """Run `statement` as a tamperer with database rights would: append-only triggers dropped
    first (this test's private database only)."""
    for verb in ("update", "delete"):
        desk.session.execute(text(f"DROP TRIGGER case_events_no_{verb}"))
    desk.session.execute(statement)
    desk.session.commit()


def _history(desk: Desk) -> int:
    case_id = desk.at_checking()  # open, submit, note
    desk.fire(case_id, "send_back", "reviewer")
    desk.fire(case_id, "submit", "clerk2")
    desk.fire(case_id, "approve", "reviewer", {"amount": 88_800})
    return case_id


def test_each_fire_writes_one_event_linked_to_the_previous(desk: Desk) -> None:
    case_id = desk.open()
    for n, (trigger, user, payload) in enumerate(
        [
            ("submit", "clerk", None),
            ("note", "reviewer", {"text": "核对"}),
            ("refuse", "reviewer", None),
        ],
        start=2,
    ):
        desk.fire(case_id, trigger, user, payload)
        assert len(desk.events(case_id)) == n
    events = desk.events(case_id)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.trigger for e in events] == ["open", "submit", "note", "refuse"]
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "filed"),
        ("filed", "checking"),
        ("checking", "checking"),
        ("checking", "refused"),
    ]
    assert events[0].prev_hash == GENESIS_HASH
    for prev, ev in pairwise(events):
        assert ev.prev_hash == prev.hash
    for ev in events:  # each hash covers the event's fields and its predecessor
        assert ev.hash == event_hash(
            case_id=ev.case_id,
            seq=ev.seq,
            actor_id=ev.actor_id,
            actor_role=ev.actor_role,
            trigger=ev.trigger,
            from_state=ev.from_state,
            to_state=ev.to_state,
            payload=ev.payload,
            at=ev.at,
            prev_hash=ev.prev_hash,
        )
    assert events[2].payload == {"text": "核对"}
    assert list(verify_chains(desk.session)) == []


def test_a_refused_fire_writes_no_event(desk: Desk) -> None:
    case_id = desk.at_checking(noted=False)
    with pytest.raises(GuardFailed):
        desk.fire(case_id, "approve", "reviewer", {"amount": 1})
    assert [e.trigger for e in desk.events(case_id)] == ["open", "submit"]


def test_chains_of_several_cases_verify(desk: Desk) -> None:
    for _ in range(3):
        _history(desk)
    assert list(verify_chains(desk.session)) == []
    assert list(verify_chains(desk.session, batch=2)) == []  # the walk spans batches


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"payload": {"amount": 99_999_900}}, "contents do not match the stored hash"),
        ({"actor_role": "district_approver"}, "contents do not match the stored hash"),
        ({"to_state": "refused"}, "contents do not match the stored hash"),
        ({"prev_hash": "f" * 64}, "prev_hash does not match the previous event"),
    ],
)
def test_an_edited_event_is_found(desk: Desk, edit: dict[str, object], reason: str) -> None:
    _history(desk)  # another case, whose intact chain is not reported
    case_id = _history(desk)
    approval = desk.events(case_id)[-1]
    _tamper(desk, update(CaseEvent).where(CaseEvent.id == approval.id).values(**edit))
    assert list(verify_chains(desk.session)) == [ChainBreak(case_id, approval.seq, reason)]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(desk: Desk) -> None:
    # Whoever edits an event and rehashes it must rehash every later one — the chain says where.
    case_id = _history(desk)
    note = desk.events(case_id)[2]
    assert note.trigger == "note"
    forged = {"text": "未核对"}
    new_hash = event_hash(
        case_id=note.case_id,
        seq=note.seq,
        actor_id=note.actor_id,
        actor_role=note.actor_role,
        trigger=note.trigger,
        from_state=note.from_state,
        to_state=note.to_state,
        payload=forged,
        at=note.at,
        prev_hash=note.prev_hash,
    )
    _tamper(
        desk, update(CaseEvent).where(CaseEvent.id == note.id).values(payload=forged, hash=new_hash)
    )
    assert list(verify_chains(desk.session)) == [
        ChainBreak(case_id, note.seq + 1, "prev_hash does not match the previous event")
    ]


def test_a_deleted_event_is_found(desk: Desk) -> None:
    case_id = _history(desk)
    _tamper(desk, delete(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.seq == 3))
    assert list(verify_chains(desk.session)) == [ChainBreak(case_id, 4, "event 3 is missing")]


def test_the_events_table_refuses_edits(desk: Desk) -> None:
    case_id = _history(desk)
    for statement in (
        update(CaseEvent).where(CaseEvent.case_id == case_id).values(trigger="x"),
        delete(CaseEvent).where(CaseEvent.case_id == case_id),
    ):
        with pytest.raises(IntegrityError, match="append-only"):
            desk.session.execute(statement)
        desk.session.rollback()
    assert len(desk.events(case_id)) == 6
