"""Fixtures of the engine's unit tests: SQLite in memory, a fresh copy of a migrated template for
each test (a page copy, not a migration), the paper workflow and its guards plugged in."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from engine_world import PAPER_GUARDS, Desk, Template, build_template, memory_engine, paper_registry
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from caseflow.db.engine import make_session_factory
from caseflow.engine import plugins
from caseflow.workflow.registry import Registry


@pytest.fixture(scope="session")
def template() -> Iterator[Template]:
    built = build_template()
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return paper_registry(tmp_path_factory.mktemp("paper"))


@pytest.fixture(autouse=True)
def paper_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    """The paper workflow's guards, in the engine's table for this test only."""
    for name, guard in PAPER_GUARDS.items():
        monkeypatch.setitem(plugins.GUARDS, name, guard)


@pytest.fixture
def hooks() -> Iterator[list[plugins.AfterCommit]]:
    """The engine's after-commit hooks, emptied for this test (and put back after it)."""
    saved = list(plugins.AFTER_COMMIT_HOOKS)
    plugins.AFTER_COMMIT_HOOKS.clear()
    yield plugins.AFTER_COMMIT_HOOKS
    plugins.AFTER_COMMIT_HOOKS[:] = saved


@pytest.fixture
def memory(template: Template) -> Iterator[Engine]:
    """A private in-memory copy of the template database."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    template.connection.backup(conn)
    engine = memory_engine(conn)
    yield engine
    engine.dispose()


@pytest.fixture
def session(memory: Engine) -> Iterator[Session]:
    with make_session_factory(memory)() as s:
        yield s


@pytest.fixture
def desk(session: Session, template: Template, paper: Registry) -> Desk:
    return Desk(session, paper, template.actors, template.household_id)
