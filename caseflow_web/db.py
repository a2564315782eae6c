"""One SQLAlchemy session per request, closed at teardown (no Flask-SQLAlchemy: the core is
framework-free)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from caseflow.db.engine import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    """Create the engine once per app and close the request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"], **_engine_options(app))
    app.extensions["caseflow_engine"] = engine
    app.extensions["caseflow_sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close)


def _engine_options(app: Flask) -> dict[str, Any]:
    # SQLITE_BUSY_TIMEOUT_MS: how long a request waits for SQLite's write lock before the
    # "busy, try again" page (tests shorten it).
    timeout = app.config.get("SQLITE_BUSY_TIMEOUT_MS")
    return {} if timeout is None else {"busy_timeout_ms": int(timeout)}


def session() -> Session:
    """The current request's session."""
    if "db" not in g:
        g.db = current_app.extensions["caseflow_sessions"]()
    s: Session = g.db
    return s


def now() -> datetime:
    """The app's clock (tests replace it)."""
    value: datetime = current_app.config["NOW"]()
    return value


def _close(_exc: Any) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.close()
