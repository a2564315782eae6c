"""Database fixtures: every DB test runs on a SQLite file and on a throwaway PostgreSQL server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import find_pg_bin, throwaway_server
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session
from support import World, build_world

from caseflow.bootstrap import boot
from caseflow.db.engine import make_engine, make_session_factory
from caseflow.db.schema import upgrade

REQUIRE_PG = os.environ.get("CASEFLOW_REQUIRE_POSTGRES") == "1"

# The composition root, as every entry point calls it: guards, effects and hooks installed,
# every table mapped, the workflow registry loaded.
boot()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database on a throwaway server (or CASEFLOW_TEST_POSTGRES_URL)."""
    url = os.environ.get("CASEFLOW_TEST_POSTGRES_URL")
    if url:
        _migrate(url)
        yield url
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL binaries not found but CASEFLOW_REQUIRE_POSTGRES=1")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql to run these)")
    with throwaway_server(bin_dir) as server_url:
        _migrate(server_url)
        yield server_url


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "caseflow.sqlite3"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        url = request.getfixturevalue("pg_url")
        eng = make_engine(url)
        _truncate_all(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as s:
        yield s


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
