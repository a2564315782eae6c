"""Database engines and sessions: SQLite file by default (WAL, foreign keys), PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from caseflow.kernel.settings import load_settings

DEFAULT_SQLITE_PATH = Path("instance") / "caseflow.sqlite3"
# How long a SQLite writer waits for the write lock before giving up with "database is locked".
BUSY_TIMEOUT_MS = 30_000


def database_url() -> str:
    """The configured `database_url` (CASEFLOW_DATABASE_URL or caseflow.toml), or the embedded
    SQLite file under ./instance."""
    url: str | None = load_settings().database_url
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(
    url: str | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any
) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).update(
            {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        )
    # Statement parameters carry names, ID numbers and hardship reasons: an error that reaches a
    # log names the statement, never the values.
    kwargs.setdefault("hide_parameters", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            _sqlite_on_connect(dbapi_conn, busy_timeout_ms)

        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.close()


WRITER = "caseflow_writer"  # execution option: this transaction will write


def _sqlite_on_begin(conn: Any) -> None:
    # Straight on the driver: exec_driver_sql's execution context costs more than the BEGIN, and
    # fire() begins a transaction for every transition. A writer takes the write lock at BEGIN
    # (IMMEDIATE): a deferred transaction that read first cannot wait for the lock when it
    # writes — another writer's commit since its read makes it fail at once ("database is
    # locked"), whatever the busy timeout.
    immediate = conn.get_execution_options().get(WRITER)
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_writer(session: Session) -> None:
    """Begin the session's transaction as a writer (on SQLite: BEGIN IMMEDIATE, waiting up to
    the busy timeout for the write lock; elsewhere an ordinary begin)."""
    session.connection(execution_options={WRITER: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never autoflush behind the engine's back."""
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def is_postgres(session: Session) -> bool:
    """True when the session talks to PostgreSQL (row locks, SKIP LOCKED)."""
    return session.get_bind().dialect.name == "postgresql"
