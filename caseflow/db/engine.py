"""Database engines and sessions: SQLite file by default (WAL, foreign keys), PostgreSQL by URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE_PATH = Path("instance") / "caseflow.sqlite3"


def database_url() -> str:
    """CASEFLOW_DATABASE_URL, or the embedded SQLite file under ./instance."""
    url = os.environ.get("CASEFLOW_DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).update({"check_same_thread": False, "timeout": 30})
    # Statement parameters carry names, ID numbers and hardship reasons: an error that reaches a
    # log names the statement, never the values.
    kwargs.setdefault("hide_parameters", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Straight on the driver: exec_driver_sql's execution context costs more than the BEGIN, and
    # fire() begins a transaction for every transition.
    conn.connection.driver_connection.execute("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never autoflush behind the engine's back."""
    return sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)


def is_postgres(session: Session) -> bool:
    """True when the session talks to PostgreSQL (row locks, SKIP LOCKED)."""
    return session.get_bind().dialect.name == "postgresql"
