"""Counters behind the supervisors' board and the queue's tab counts: open cases per (township,
state, workflow, due instant).

The board used to count every open case on each view (50,000 of a million); it now sums the rows
of `board_counts` — `n` open cases per key, `n_escalated` of them escalated to the district or
beyond — kept exact by database triggers on `cases` (migrations 0009, 0010). Triggers rather
than engine hooks, because every writer must keep them right: fire(), the sweep, bulk tools,
direct SQL in tests and repairs.

The key's due instant is folded for one local day, the horizon's: every boundary of the board
except `now` is a local midnight, the same all day, so the due instants between two boundaries
need no distinction and share one key — the lower end of their interval — while today's keep
their own (`now` moves through them). The row of `board_horizon` says which day; `roll_horizon`
moves it to a new day and recounts under it (`daily_roll`, run before every sweep round; it
acts once a day). For a `now` the horizon does not fit (another day, or a calendar changed since
the roll) the counts must be taken live: `fits_board` says when the counters answer the board,
`fits_day` when they answer the queue. With no horizon row (a new database before the timer's
first round) the keys are the exact instants, which answer for any `now`.

This module holds what the application needs besides the triggers: the township expression in
each dialect's SQL (the same as `caseflow.read.board.township_path` for well-formed org paths, which
all end in '/'), the recount from `cases`, and the repair that replaces the counters with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from caseflow.clock.aging import Boundaries, boundaries
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.deadlines import LEVEL_DISTRICT
from caseflow.clock.workcal import WorkdayCalendar, local_date, start_of_local_day
from caseflow.db.models import BoardHorizon
from caseflow.engine.uow import UnitOfWork

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


def _folded_sql(dialect: str, due: str) -> str:
    """SQL for the key instant of `due` under the horizon row, as the triggers fold it
    (PostgreSQL: migration 0010's function; SQLite: the same CASE, inline)."""
    if dialect == "postgresql":
        return f"board_counts_due({due})"
    cases = (
        f"CASE WHEN {due} IS NULL THEN NULL "
        f"WHEN {due} < h.over_15 THEN h.before_15 "
        f"WHEN {due} < h.over_5 THEN h.over_15 "
        f"WHEN {due} < h.today_start THEN h.over_5 "
        f"WHEN {due} < h.tomorrow_start THEN {due} "
        f"WHEN {due} < h.soon_before THEN h.tomorrow_start "
        "ELSE h.soon_before END"
    )
    return f"coalesce((SELECT {cases} FROM board_horizon AS h), {due})"


def _recount_sql(dialect: str) -> str:
    open_cases = "NOT is_final" if dialect == "postgresql" else "is_final = 0"
    return (
        f"SELECT {township_sql(dialect, 'org_path')} AS township_path, state, workflow_key, "
        f"{_folded_sql(dialect, 'due_at')} AS due_at, count(*) AS n, "
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


_KEY_MATCH = " AND ".join(
    f"f.{c} = board_counts.{c}" for c in ("township_path", "state", "workflow_key", "due_key")
)


def _take_sqlite_write_lock(conn: Connection) -> None:
    # SQLite has one writer: a first statement that writes (here: nothing) makes this
    # transaction it before anything is read, so what it reads stays true until it commits.
    conn.execute(text("UPDATE board_horizon SET id = id"))


def rebuild_counts(db: Session | Connection, horizon: Horizon | None = None) -> int:
    """Make the counters equal to a recount from `cases`; returns the number of counter rows.
    With `horizon`, the horizon row is replaced by it first (the recount folds under it).

    Only what differs is written — keys gone are deleted, new ones inserted, changed counts
    updated — so the daily roll, which moves a day's worth of cases between a few keys, leaves
    PostgreSQL a few dead rows rather than a dead copy of the whole table.

    Runs in the caller's transaction, which should commit at once. On PostgreSQL it first takes
    SHARE on `cases` (writers wait, readers do not), so no case changes between the recount and
    the commit and the triggers of waiting writers apply on top of the rebuilt rows. On SQLite
    it first takes the database's write lock.
    """
    conn = _connection(db)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("LOCK TABLE cases IN SHARE MODE"))
    else:
        _take_sqlite_write_lock(conn)
    if horizon is not None:
        conn.execute(delete(BoardHorizon))
        conn.execute(insert(BoardHorizon).values(id=1, **horizon.values()))
    columns = "township_path, state, workflow_key, due_key, due_at, n, n_escalated"
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE board_fresh AS SELECT township_path, state, workflow_key, "
            f"COALESCE(due_at, {_no_due(dialect)}) AS due_key, due_at, n, n_escalated "
            f"FROM ({_recount_sql(dialect)}) AS r"
        )
    )
    conn.execute(
        text(
            "DELETE FROM board_counts WHERE NOT EXISTS "
            f"(SELECT 1 FROM board_fresh AS f WHERE {_KEY_MATCH})"
        )
    )
    conn.execute(
        text(
            f"INSERT INTO board_counts ({columns}) SELECT {columns} FROM board_fresh WHERE true "
            "ON CONFLICT (township_path, state, workflow_key, due_key) DO UPDATE "
            "SET n = excluded.n, n_escalated = excluded.n_escalated "
            "WHERE board_counts.n <> excluded.n OR board_counts.n_escalated <> excluded.n_escalated"
        )
    )
    rows = int(conn.execute(text("SELECT count(*) FROM board_fresh")).scalar_one())
    conn.execute(text("DROP TABLE board_fresh"))
    return rows


@dataclass(frozen=True)
class Horizon:
    """The boundaries of one local day, as stored in `board_horizon` (see the module's doc)."""

    day: date
    over_15: datetime
    over_5: datetime
    today_start: datetime
    tomorrow_start: datetime
    soon_before: datetime

    @property
    def before_15(self) -> datetime:
        """The key of every due instant older than over_15: just below it."""
        return self.over_15 - timedelta(microseconds=1)

    def values(self) -> dict[str, Any]:
        """The columns of its `board_horizon` row (without the id)."""
        return {
            "day": self.day,
            "before_15": self.before_15,
            "over_15": self.over_15,
            "over_5": self.over_5,
            "today_start": self.today_start,
            "tomorrow_start": self.tomorrow_start,
            "soon_before": self.soon_before,
        }


def horizon_for(cal: WorkdayCalendar, now: datetime) -> Horizon:
    """The horizon of `now`'s local day under the calendar."""
    b = boundaries(cal, now)
    day = local_date(now)
    return Horizon(
        day,
        b.over_15,
        b.over_5,
        start_of_local_day(day),
        start_of_local_day(day + timedelta(days=1)),
        b.soon_before,
    )


def read_horizon(db: Session | Connection) -> Horizon | None:
    """The stored horizon, or None (exact keys)."""
    h = BoardHorizon
    columns = (h.day, h.over_15, h.over_5, h.today_start, h.tomorrow_start, h.soon_before)
    row = _connection(db).execute(select(*columns)).first()
    return None if row is None else Horizon(*row)


def fits_day(today_start: datetime | None, tomorrow_start: datetime | None, now: datetime) -> bool:
    """True when the counters answer "due before `now`" (the queue's overdue count): `now` lies in
    the horizon's day, given by its start and the next day's (None: no horizon, exact keys)."""
    if today_start is None or tomorrow_start is None:
        return True
    return today_start <= now < tomorrow_start


def fits_board(horizon: Horizon | None, b: Boundaries) -> bool:
    """True when the counters answer the board at `b`: every boundary equals the horizon's and
    `now` lies in its day (or there is no horizon)."""
    if horizon is None:
        return True
    return fits_day(horizon.today_start, horizon.tomorrow_start, b.now) and (
        horizon.over_15,
        horizon.over_5,
        horizon.soon_before,
    ) == (b.over_15, b.over_5, b.soon_before)


def roll_horizon(session: Session, cal: WorkdayCalendar, now: datetime) -> bool:
    """Move the horizon to `now`'s day and recount under it, in one transaction, unless it is
    already there; never backwards (a late sweep round must not undo a newer day's). True when
    it rolled. Takes the same locks as rebuild_counts; a recount of the open cases only."""
    wanted = horizon_for(cal, now)
    with UnitOfWork(session) as uow:  # ends the caller's read (the calendar's) first
        # One roller at a time, deciding on what it then writes: PostgreSQL locks the horizon
        # table (plain reads, the triggers' among them, go on); SQLite takes its write lock.
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE board_horizon IN EXCLUSIVE MODE"))
        else:
            _take_sqlite_write_lock(conn)
        current = read_horizon(conn)
        if current == wanted or (current is not None and current.day > wanted.day):
            return False  # already rolled: the unit rolls back and releases the lock
        rebuild_counts(session, wanted)
        uow.commit()
    return True


def daily_roll(factory: sessionmaker[Session], now: datetime) -> bool:
    """The timer's daily job, run before each sweep round (SweepScheduler, `caseflow tick`):
    roll the horizon to `now`'s day (a no-op but for the first round of a day). Kept out of the
    sweep itself, whose cost follows what is due: this recount follows the open cases, once a
    day. True when it rolled."""
    with factory() as session:
        return roll_horizon(session, load_calendar(session), now)
