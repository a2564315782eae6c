"""fire() reads the locked row as a plain CaseRecord: it must cover every column, and a Case the
caller loaded before fire() must not keep showing the state it had before."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session
from support import T0, World
from walker import Walker

from caseflow.db.models import Case, CaseEvent
from caseflow.db.rawsql import RawStatement
from caseflow.db.record import COLUMNS, CaseRecord
from caseflow.engine.fire import fire
from caseflow.workflow.machine import next_state
from caseflow.workflow.registry import registry

_cases: Table = Case.__table__  # type: ignore[assignment]
_events: Table = CaseEvent.__table__  # type: ignore[assignment]


def test_the_record_has_every_column_of_cases_in_order() -> None:
    assert list(CaseRecord.__dataclass_fields__) == [c.key for c in COLUMNS]
    assert {c.key for c in COLUMNS} == set(_cases.columns.keys())


def test_a_case_loaded_before_fire_shows_the_new_state(session: Session, world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    loaded = session.get(Case, case.id)
    assert loaded is not None and loaded.state == "accepted"
    version = loaded.version
    payload = {"missing_items": "户口簿复印件"}
    fire(session, case.id, "request_materials", world.actor("clerk"), T0.replace(day=20), payload)
    # No refresh by the test: fire() expired the stale copy, so this reads the committed row.
    assert loaded.state == "awaiting_materials"
    assert loaded.version == version + 1


def test_rowcount_and_insert_id(session: Session, world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    touch = RawStatement(
        _cases.update().where(_cases.c.id == bindparam("i")).values(summary=bindparam("s"))
    )
    assert touch.rowcount(session, {"i": case.id, "s": "改"}) == 1
    assert touch.rowcount(session, {"i": case.id + 10_000, "s": "改"}) == 0
    if session.get_bind().dialect.name == "sqlite":
        last = session.scalar(select(func.max(CaseEvent.id)))
        new_id = RawStatement(_events.insert()).insert_id(
            session,
            {
                "case_id": case.id,
                "seq": 999,
                "actor_id": None,
                "actor_role": "system",
                "trigger": "note",
                "from_state": "accepted",
                "to_state": "accepted",
                "payload": {},
                "at": T0,
                "prev_hash": "0" * 64,
                "hash": "1" * 64,
            },
        )
        assert new_id == (last or 0) + 1
        assert session.get(CaseEvent, new_id) is not None
    session.rollback()


def test_remembered_answers_are_the_machines_answers() -> None:
    reg = registry()
    for key, wf in reg.workflows.items():
        machine = reg.machines[key]
        for t in wf.transitions:
            for source in t.sources:
                first = next_state(machine, source, t.trigger)
                assert first == (t.dest or source), (key, source, t.trigger)
                assert next_state(machine, source, t.trigger) == first
