"""The statements of fire()'s hot path, built once and executed with bound parameters.

Building a SQLAlchemy expression, and running it through the ORM's bulk-update bookkeeping, costs
more Python time than SQLite takes to execute it; fire() runs the same dozen statements every time,
so they are constructed here once, and run on the session's connection inside its transaction.
The locked case row comes back as plain values (caseflow.db.record), not as an ORM object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, select
from sqlalchemy.orm import Session

from caseflow.clock.deadlines import clock_values
from caseflow.db.models import Case, CaseEvent, RelativeDeclaration
from caseflow.db.rawsql import RawStatement
from caseflow.db.record import COLUMNS
from caseflow.engine.audit import GENESIS_HASH, event_hash

_cases = cast(Table, Case.__table__)
_events = cast(Table, CaseEvent.__table__)
_relatives = cast(Table, RelativeDeclaration.__table__)

# Jurisdiction in SQL: the case's org_path must start with the actor's (LIKE with escapes, so an
# underscore or percent sign in a path is never a wildcard).
_IN_SCOPE = _cases.c.org_path.like(bindparam("l_scope"), escape="/")

# The case's newest event (seq and hash: where its chain continues), read with the lock: once the
# row is locked no other writer can append to the chain, so the pair stays true until we commit.
# (By the bound case id, not correlated: SQLite's RETURNING renders columns unqualified.)
_NEWEST_SEQ = (
    select(_events.c.seq)
    .where(_events.c.case_id == bindparam("l_id"))
    .order_by(_events.c.seq.desc())
    .limit(1)
    .scalar_subquery()
)
_NEWEST_HASH = (
    select(_events.c.hash)
    .where(_events.c.case_id == bindparam("l_id"))
    .order_by(_events.c.seq.desc())
    .limit(1)
    .scalar_subquery()
)

# PostgreSQL: a row lock, with the chain's newest seq and hash in the same round trip. SQLite (no
# row locks): an UPDATE that writes nothing new takes the database's write lock as the
# transaction's first statement, so nothing can change the row before our own write; the row and
# the newest event are then read by primary key and index. (SQLite 3.40 took two to three times
# longer for the same reads as RETURNING columns or scalar subqueries of the UPDATE.)
# Both give plain values (a CaseRecord's columns), not an ORM object: see caseflow.db.record.
LOCK_PG = RawStatement(
    select(*COLUMNS, _NEWEST_SEQ, _NEWEST_HASH)
    .where(_cases.c.id == bindparam("l_id"), _IN_SCOPE)
    .with_for_update(of=_cases),
    results=(*COLUMNS, _events.c.seq, _events.c.hash),
)
_LOCK_SQLITE = RawStatement(
    _cases.update()
    .where(_cases.c.id == bindparam("l_id"), _IN_SCOPE)
    .values(version=_cases.c.version)
)
_READ_CASE = RawStatement(select(*COLUMNS).where(_cases.c.id == bindparam("l_id")), COLUMNS)


def lock_case(
    session: Session, postgres: bool, params: dict[str, Any]
) -> tuple[tuple[Any, ...], tuple[int | None, str | None]] | None:
    """The locked case row's COLUMNS and its newest event's (seq, hash), or None when no case
    with that id lies within the scope (`l_id`, `l_scope`)."""
    if postgres:
        row = LOCK_PG.first(session, params)
        return None if row is None else (row, (row[-2], row[-1]))
    if _LOCK_SQLITE.rowcount(session, params) != 1:
        return None
    row = _READ_CASE.first(session, {"l_id": params["l_id"]})
    last = _LAST_EVENT.first(session, {"e_case": params["l_id"]})
    assert row is not None  # the UPDATE above found it and holds the write lock
    return row, (last[0], last[1]) if last is not None else (None, None)


def scope_pattern(org_path: str) -> str:
    """LIKE pattern for 'starts with org_path', escaped with '/'."""
    return org_path.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


# Is the acting user a declared near relative (近亲属) of the case's household? Asked on every
# fire() by a person, whenever the declaration was made; the household_id index finds the
# household's few declarations.
RELATED_STAFF = RawStatement(
    select(
        exists().where(
            _relatives.c.household_id == bindparam("s_household"),
            _relatives.c.staff_user_id == bindparam("s_user"),
        )
    )
)

_DONE_BEFORE: dict[tuple[str, ...], RawStatement] = {}


def done_before(triggers: tuple[str, ...]) -> RawStatement:
    """One of `triggers` done on the case by the user (separation of duties). The triggers come
    from the workflow definition, so each declared set is one statement with its own binds."""
    stmt = _DONE_BEFORE.get(triggers)
    if stmt is None:
        stmt = _DONE_BEFORE[triggers] = RawStatement(
            select(_events.c.trigger)
            .where(
                _events.c.case_id == bindparam("s_case"),
                _events.c.actor_id == bindparam("s_user"),
                _events.c.trigger.in_([bindparam(f"s_t{i}", t) for i, t in enumerate(triggers)]),
            )
            .limit(1)
        )
    return stmt


_LAST_EVENT = RawStatement(
    select(_events.c.seq, _events.c.hash)
    .where(_events.c.case_id == bindparam("e_case"))
    .order_by(_events.c.seq.desc())
    .limit(1)
)
_INSERT_EVENT_PG = RawStatement(_events.insert().returning(_events.c.id))
_INSERT_EVENT_SQLITE = RawStatement(_events.insert())  # the id from lastrowid


def insert_event(
    session: Session,
    *,
    case_id: int,
    actor_id: int | None,
    actor_role: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    payload: dict[str, Any],
    at: datetime,
    newest: tuple[int | None, str | None] | None = None,
) -> int:
    """Append the next event of a case's hash chain; the event's id. The one writer of events
    (fire, open_case, claims, the sweep). The caller holds the case lock (so seq is safe);
    `newest` is the case's newest (seq, hash) when the caller read it with that lock."""
    last = newest if newest is not None else _LAST_EVENT.first(session, {"e_case": case_id})
    seq, prev = (1, GENESIS_HASH)
    if last is not None and last[0] is not None:
        seq, prev = last[0] + 1, str(last[1])
    fields: dict[str, Any] = dict(
        case_id=case_id,
        seq=seq,
        actor_id=actor_id,
        actor_role=actor_role,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        payload=payload,
        at=at,
    )
    digest = event_hash(**fields, prev_hash=prev)
    row = {**fields, "prev_hash": prev, "hash": digest}
    if session.get_bind().dialect.name == "sqlite":
        return _INSERT_EVENT_SQLITE.insert_id(session, row)
    inserted = _INSERT_EVENT_PG.first(session, row)
    assert inserted is not None
    return int(inserted[0])


_CAS: dict[tuple[tuple[str, ...], bool], RawStatement] = {}


def _cas_statement(keys: tuple[str, ...], with_clock: bool) -> RawStatement:
    stmt = _CAS.get((keys, with_clock))
    if stmt is None:
        values: dict[str, Any] = {k: bindparam(f"v_{k}") for k in keys}
        if with_clock:
            values.update(clock_values(bindparam("w_id")))
        stmt = RawStatement(
            _cases.update()
            .where(_cases.c.id == bindparam("w_id"), _cases.c.version == bindparam("w_version"))
            .values(**values)
        )
        _CAS[(keys, with_clock)] = stmt  # a handful of shapes: which columns a move sets
    return stmt


def compare_and_set(
    session: Session, case_id: int, loaded_version: int, values: dict[str, Any], with_clock: bool
) -> bool:
    """UPDATE the case only if it is still at `loaded_version`; with_clock also copies the open
    deadlines' earliest due date and highest level onto it (deadlines.refresh_case_clock folded
    into the same statement). False when the version moved."""
    if with_clock:
        session.flush()  # an ORM-changed deadline row (pause, resume) must be in what it reads
    keys = tuple(sorted(values))
    params = {f"v_{k}": v for k, v in values.items()}
    params.update(w_id=case_id, w_version=loaded_version)
    return _cas_statement(keys, with_clock).rowcount(session, params) == 1
