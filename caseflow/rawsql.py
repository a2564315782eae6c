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
    names: tuple[str, ...]  # bind names in the order the driver wants them (positional styles)
    fixed: dict[str, Any]  # binds whose value is part of the statement (literals, NULLs)
    processors: dict[str, Callable[[Any], Any]]
    positional: bool
    results: tuple[Processor, ...]


class RawStatement:
    """A Core statement compiled once per dialect (and per INSERT column set)."""

    def __init__(self, stmt: ClauseElement, results: Sequence[ColumnElement[Any]] = ()) -> None:
        self.stmt = stmt
        self.result_columns = tuple(results)
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._compile(dialect, keys)
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
        processors: dict[str, Callable[[Any], Any]] = {}
        fixed: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                processors[name] = proc
            if not bind.required:
                fixed[name] = bind.effective_value
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup or compiled.binds)
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in self.result_columns
        )
        return _Plan(compiled.string, names, fixed, processors, positional, results)

    def execute(self, session: Session, params: Mapping[str, Any]) -> Any:
        """Run on the session's connection (its transaction); the DBAPI cursor, results unread."""
        conn = session.connection()
        dialect = conn.dialect
        plan = self._plan(dialect, tuple(sorted(params)))
        values = {**plan.fixed, **params}
        for name, proc in plan.processors.items():
            if name in values:
                values[name] = proc(values[name])
        args: Any = tuple(values[n] for n in plan.names) if plan.positional else values
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                plan.sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return cursor

    def all(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, result columns converted as SQLAlchemy would convert them."""
        cursor = self.execute(session, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        procs = self._plan(session.connection().dialect, tuple(sorted(params))).results
        if not any(procs):
            return [tuple(r) for r in rows]
        return [
            tuple(p(v) if p is not None else v for p, v in zip(procs, r, strict=False))
            for r in rows
        ]

    def first(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        rows = self.all(session, params)
        return rows[0] if rows else None

    def run(self, session: Session, params: Mapping[str, Any]) -> None:
        """Execute and discard any result."""
        self.execute(session, params).close()
