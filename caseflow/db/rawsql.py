"""Run a prebuilt Core statement straight on the DBAPI cursor of a session's connection.

SQLAlchemy's per-execution work (cache key, compiled-cache lookup, parameter construction, the
result object) costs ten to fifty times what SQLite needs to run a small statement by primary
key. fire() runs the same few statements on every transition, so for those the SQL text, the
parameter order and the type conversions are taken from SQLAlchemy's own compilation once per
dialect and reused: the rows written are exactly what a Core execute would write (same SQL, same
bind processors, e.g. UTC text for datetimes on SQLite), in the session's transaction.

Driver errors are re-raised as SQLAlchemy's exceptions (IntegrityError, OperationalError, …), so
callers handle them exactly as they would from Session.execute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    # (bind name, its bind processor or None) in the order the driver wants them; `fixed` holds
    # the binds whose value is part of the statement (literals, NULLs).
    binds: tuple[tuple[str, Processor], ...]
    fixed: dict[str, Any]
    positional: bool
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]  # result columns with a processor


@dataclass(frozen=True)
class _Driver:
    """The DBAPI connection of one session transaction (see _driver)."""

    transaction: Any
    dialect: Dialect
    connection: Any


_DRIVER_KEY = "caseflow.db.rawsql.driver"


def _driver(session: Session) -> _Driver:
    """The session's DBAPI connection, found once per transaction.

    Session.connection() walks the session's transaction bookkeeping on every call, which costs
    more than SQLite takes to run one of these statements; the answer cannot change while the
    same transaction is open, so it is kept in session.info next to that transaction object.
    """
    transaction = session.get_transaction()
    cached = session.info.get(_DRIVER_KEY)
    if transaction is not None and cached is not None and cached.transaction is transaction:
        return cast(_Driver, cached)
    conn = session.connection()  # begins the transaction when none is open
    driver = _Driver(session.get_transaction(), conn.dialect, conn.connection.driver_connection)
    session.info[_DRIVER_KEY] = driver
    return driver


class RawStatement:
    """A Core statement compiled once per dialect (and per INSERT column set)."""

    def __init__(self, stmt: ClauseElement, results: Sequence[ColumnElement[Any]] = ()) -> None:
        self.stmt = stmt
        self.result_columns = tuple(results)
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}

    def _plan(self, dialect: Dialect, keys: frozenset[str]) -> _Plan:
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._compile(dialect, tuple(sorted(keys)))
            self._plans[(dialect.name, keys)] = plan
        return plan

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
        stmt = self.stmt
        column_keys = list(keys) if isinstance(stmt, Insert) else None
        if isinstance(stmt, Insert):
            # An INSERT here never relies on column defaults: every column with one is given.
            table = stmt.table
            for col in table.columns:
                has_default = col.default is not None or col.server_default is not None
                if has_default and col.key not in keys and not col.primary_key:
                    raise ValueError(f"{table}.{col.key} has a default and must be given")
        compiled = cast(SQLCompiler, stmt.compile(dialect=dialect, column_keys=column_keys))
        processors: dict[str, Processor] = {}
        fixed: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if not bind.required:
                fixed[name] = bind.effective_value
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or compiled.binds)
        results = (
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in self.result_columns
        )
        converted = tuple((i, p) for i, p in enumerate(results) if p is not None)
        binds = tuple((n, processors[n]) for n in names)
        return _Plan(compiled.string, binds, fixed, positional, converted)

    def execute(self, session: Session, params: Mapping[str, Any]) -> Any:
        """Run on the session's connection (its transaction); the DBAPI cursor, results unread."""
        return self._execute(session, params)[0]

    def _execute(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, _Plan]:
        driver = _driver(session)
        dialect = driver.dialect
        plan = self._plan(dialect, frozenset(params))
        values = {**plan.fixed, **params} if plan.fixed else params
        args: Any
        if plan.positional:
            args = [
                values[name] if proc is None else proc(values[name]) for name, proc in plan.binds
            ]
        else:
            args = {
                name: values[name] if proc is None else proc(values[name])
                for name, proc in plan.binds
            }
        cursor = driver.connection.cursor()
        try:
            cursor.execute(plan.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                plan.sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return cursor, plan

    def all(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, result columns converted as SQLAlchemy would convert them."""
        cursor, plan = self._execute(session, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not plan.converted:
            return [tuple(r) for r in rows]
        out = []
        for r in rows:
            values = list(r)
            for i, proc in plan.converted:
                values[i] = proc(values[i])
            out.append(tuple(values))
        return out

    def first(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        rows = self.all(session, params)
        return rows[0] if rows else None

    def run(self, session: Session, params: Mapping[str, Any]) -> None:
        """Execute and discard any result."""
        self.execute(session, params).close()

    def rowcount(self, session: Session, params: Mapping[str, Any]) -> int:
        """Execute an UPDATE or DELETE; the number of rows it matched."""
        cursor = self.execute(session, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def insert_id(self, session: Session, params: Mapping[str, Any]) -> int:
        """Execute an INSERT of one row; its new integer primary key (cursor.lastrowid — on
        SQLite only, where RETURNING costs more than the insert itself)."""
        cursor = self.execute(session, params)
        try:
            return int(cursor.lastrowid)
        finally:
            cursor.close()
