"""fire()'s raw-cursor statements store exactly what SQLAlchemy Core would, and fail like it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from support import T0, World
from walker import Walker

from caseflow.db.models import CaseEvent, Deadline, Notification
from caseflow.db.rawsql import RawStatement
from caseflow.engine.audit import verify_chains
from caseflow.workflow.registry import registry

_events: Table = CaseEvent.__table__  # type: ignore[assignment]
_deadlines: Table = Deadline.__table__  # type: ignore[assignment]
_notifications: Table = Notification.__table__  # type: ignore[assignment]


def _stored(session: Session, table: str, row_id: int) -> tuple[object, ...]:
    """The row as the database holds it (no type conversion on the way out)."""
    return tuple(session.execute(text(f"SELECT * FROM {table} WHERE id = :i"), {"i": row_id}).one())


def test_raw_insert_stores_the_same_values_as_core(session: Session, world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    due = datetime(2026, 3, 20, 9, 30, 15, 123456, tzinfo=UTC)
    values = {
        "case_id": case.id,
        "state": "accepted",
        "rule": "acceptance",
        "unit": "working_days",
        "amount": 7,
        "started_at": T0,
        "due_at": due,
        "calendar_source": "override",
        "level": 0,
        "next_action_at": due - timedelta(days=2),
        "extended": False,
        "org_path": case.org_path,
    }
    raw = RawStatement(_deadlines.insert().returning(_deadlines.c.id))
    first = raw.first(session, values)
    assert first is not None
    core_id = session.connection().execute(_deadlines.insert(), values).inserted_primary_key[0]
    session.commit()
    raw_row, core_row = (
        _stored(session, "deadlines", first[0]),
        _stored(session, "deadlines", core_id),
    )
    assert raw_row[1:] == core_row[1:]  # everything but the id, byte for byte as stored
    loaded = session.get(Deadline, first[0])
    assert loaded is not None and loaded.due_at == due and loaded.started_at == T0


def test_raw_results_are_converted_like_core(session: Session, world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    stmt = select(_events.c.at, _events.c.payload, _events.c.seq).where(
        _events.c.case_id == bindparam("c")
    )
    raw = RawStatement(stmt, results=(_events.c.at, _events.c.payload, _events.c.seq)).all(
        session, {"c": case.id}
    )
    core = [tuple(r) for r in session.connection().execute(stmt, {"c": case.id})]
    assert raw == core and raw and raw[0][0].tzinfo is not None


def test_driver_errors_surface_as_sqlalchemy_errors(session: Session, world: World) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    duplicate_seq = {
        "case_id": case.id,
        "seq": 1,  # the opening event has it already: the chain's unique key refuses it
        "actor_id": None,
        "actor_role": "system",
        "trigger": "x",
        "from_state": "accepted",
        "to_state": "accepted",
        "payload": {},
        "at": T0,
        "prev_hash": "0" * 64,
        "hash": "0" * 64,
    }
    with pytest.raises(IntegrityError):
        RawStatement(_events.insert()).run(session, duplicate_seq)
    session.rollback()
    assert list(verify_chains(session)) == []


def test_an_insert_may_not_lean_on_column_defaults(session: Session, world: World) -> None:
    # Column defaults are applied by SQLAlchemy's execution, which the raw path skips: refused.
    row = {"user_id": 1, "case_id": None, "kind": "reminder", "title": "t", "created_at": T0}
    with pytest.raises(ValueError, match="body"):
        RawStatement(_notifications.insert()).run(session, row)
    session.rollback()
