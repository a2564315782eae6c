"""Counters behind the supervisors' board and the queue's tab counts: open cases per (township,
state, workflow, due instant).

The board used to count every open case on each view (50,000 of a million); it now sums the rows
of `board_counts` — `n` open cases per key, `n_escalated` of them escalated to the district or
beyond — kept exact by database triggers on `cases` (migration 0009). Triggers rather
than engine hooks, because every writer must keep them right: fire(), the sweep, bulk tools,
direct SQL in tests and repairs. The key is the exact due instant, not the day: every bucket
boundary of the board is an instant (`now`, local midnights), so the sums stay exact for any
`now`, and working-day deadlines all end at 23:59:59.999999 local time, so cases share keys.

This module holds what the application needs besides the triggers: the township expression in
each dialect's SQL (the same as `caseflow.board.township_path` for well-formed org paths, which
all end in '/'), the recount from `cases`, and the repair that replaces the counters with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from caseflow.deadlines import LEVEL_DISTRICT

# (township path, state, workflow key, due_at as the driver returns it). due_at stays raw — the
# stored text on SQLite — so two spellings of one instant could never hide behind one key.
CounterKey = tuple[str, str, str, Any]
# (open cases, of which escalated)
Counts = tuple[int, int]


def township_sql(dialect: str, column: str) -> str:
    """SQL for the first two segments of an org path ('/640502/640502100/'), like township_path.

    The district's own '/640502/' stays itself; '/' stays '/'.
    """
    if dialect == "postgresql":
        return f"COALESCE(substring({column} from '^/[^/]+/(?:[^/]+/)?'), {column})"
    # SQLite has no regular expressions: find the second and third '/' with instr().
    rest = f"substr({column}, 2)"
    first = f"instr({rest}, '/')"
    after = f"substr({rest}, {first} + 1)"
    second = f"instr({after}, '/')"
    return (
        f"(CASE WHEN {first} = 0 OR {second} = 0 THEN {column} "
        f"ELSE substr({column}, 1, 1 + {first} + {second}) END)"
    )


def _no_due(dialect: str) -> str:
    """How due_key spells a NULL due_at (a key column cannot be NULL): see migration 0009."""
    return "'infinity'::timestamptz" if dialect == "postgresql" else "''"


def _recount_sql(dialect: str) -> str:
    open_cases = "NOT is_final" if dialect == "postgresql" else "is_final = 0"
    return (
        f"SELECT {township_sql(dialect, 'org_path')} AS township_path, state, workflow_key, "
        "due_at, count(*) AS n, "
        f"sum(CASE WHEN escalation_level >= {LEVEL_DISTRICT} THEN 1 ELSE 0 END) AS n_escalated "
        f"FROM cases WHERE {open_cases} GROUP BY 1, 2, 3, 4"
    )


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def _rows(conn: Connection, sql: str) -> dict[CounterKey, Counts]:
    rows = conn.execute(text(sql))
    return {
        (r.township_path, r.state, r.workflow_key, r.due_at): (int(r.n), int(r.n_escalated))
        for r in rows
    }


def recount(db: Session | Connection) -> dict[CounterKey, Counts]:
    """What the counters should hold, counted from `cases` now (the reference)."""
    conn = _connection(db)
    return _rows(conn, _recount_sql(conn.dialect.name))


def stored_counts(db: Session | Connection) -> dict[CounterKey, Counts]:
    """The counters as stored (rows left at zero would show here, none should exist)."""
    conn = _connection(db)
    sql = "SELECT township_path, state, workflow_key, due_at, n, n_escalated FROM board_counts"
    return _rows(conn, sql)


@dataclass(frozen=True)
class Drift:
    """Keys whose stored counts differ from the recount: {key: (stored, recounted)}."""

    differences: Mapping[CounterKey, tuple[Counts | None, Counts | None]]

    @property
    def ok(self) -> bool:
        """True when the counters are exact."""
        return not self.differences


def drift(db: Session | Connection) -> Drift:
    """Compare the counters with a fresh recount (read only)."""
    stored, fresh = stored_counts(db), recount(db)
    keys = stored.keys() | fresh.keys()
    return Drift({k: (stored.get(k), fresh.get(k)) for k in keys if stored.get(k) != fresh.get(k)})


def rebuild_counts(db: Session | Connection) -> int:
    """Replace the counters with a recount from `cases`; returns the number of counter rows.

    Runs in the caller's transaction, which should commit at once. On PostgreSQL it first takes
    SHARE on `cases` (writers wait, readers do not), so no case changes between the recount and
    the commit and the triggers of waiting writers apply on top of the rebuilt rows. SQLite has
    a single writer: the DELETE makes this transaction it.
    """
    conn = _connection(db)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("LOCK TABLE cases IN SHARE MODE"))
    conn.execute(text("DELETE FROM board_counts"))
    inserted = conn.execute(
        text(
            "INSERT INTO board_counts "
            "(township_path, state, workflow_key, due_key, due_at, n, n_escalated) "
            f"SELECT township_path, state, workflow_key, COALESCE(due_at, {_no_due(dialect)}), "
            f"due_at, n, n_escalated FROM ({_recount_sql(dialect)}) AS fresh"
        )
    )
    return int(inserted.rowcount or 0)
