"""What every `caseflow` command needs: a ready database, a session, the acting user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from caseflow.bootstrap import boot
from caseflow.db.engine import make_engine, make_session_factory
from caseflow.db.models import User
from caseflow.db.schema import schema_problem
from caseflow.kernel.actors import Actor


def ready_engine(*, need_accounts: bool = False) -> Engine:
    """The configured engine, or exit 1 with a Chinese message when the schema was never created
    or is older than the code (and, with `need_accounts`, when nobody could sign in)."""
    boot()
    engine = make_engine()
    problem = schema_problem(engine, need_accounts=need_accounts)
    if problem is not None:
        engine.dispose()
        click.echo(problem, err=True)
        sys.exit(1)
    return engine


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session on CASEFLOW_DATABASE_URL (or the embedded SQLite file)."""
    engine = ready_engine()
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def actor_by_username(session: Session, username: str | None) -> Actor | None:
    """The actor for an active user, None without a name; LookupError (Chinese) if unknown."""
    if username is None:
        return None
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise LookupError(f"用户不存在或已停用：{username}")
    return Actor.from_user(user)
