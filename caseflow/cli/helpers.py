"""What every `caseflow` command needs: a ready database, a session, the acting user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from caseflow.bootstrap import boot
from caseflow.db.engine import database_url, make_engine, make_session_factory
from caseflow.db.failures import Failure, database_failure
from caseflow.db.models import User
from caseflow.db.schema import schema_problem
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, InputError, PayloadInvalid
from caseflow.kernel.settings import hide_password


class UnknownUser(InputError, LookupError):
    """`--user` names nobody who may act (the message is Chinese)."""


def _file_problem(exc: OSError) -> str:
    where = f"「{exc.filename}」" if exc.filename else ""
    if isinstance(exc, FileNotFoundError):
        return f"文件或目录不存在{where}"
    if isinstance(exc, PermissionError):
        return f"没有读写权限{where}"
    if isinstance(exc, IsADirectoryError):
        return f"需要文件，但{where}是目录"
    return f"无法读写文件{where}"


class ChineseErrors(click.Group):
    """The root command group: an expected error of any command — a file that cannot be read,
    a refusal of the core, an unknown user, a file that cannot be written — ends as one Chinese
    line on stderr and exit status 1, never a Python traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CaseflowError as exc:
            message = exc.message_zh
        except InputError as exc:
            message = str(exc)
        except UnicodeError:
            message = "文件的文字编码无法识别：请另存为 UTF-8 或 GBK 编码后重试"
        except OSError as exc:
            message = _file_problem(exc)
        except SQLAlchemyError as exc:
            if database_failure(exc) is not Failure.UNAVAILABLE:
                raise
            message = unreachable_message()
        click.echo(message, err=True)
        ctx.exit(1)


def unreachable_message() -> str:
    """The database cannot be reached: where we looked (password hidden), in both languages."""
    where = hide_password(database_url())
    return (
        f"无法连接数据库 {where}：请检查 database_url（CASEFLOW_DATABASE_URL）"
        "和数据库服务是否运行。"
        f" / cannot connect to the database {where}: check database_url and that the server runs."
    )


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
    """The actor for an active user, None without a name; UnknownUser (Chinese) if unknown."""
    if username is None:
        return None
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise UnknownUser(f"用户不存在或已停用：{username}")
    return Actor.from_user(user)


def fail(message: str) -> NoReturn:
    """One Chinese line on stderr, exit status 1 (nothing was written)."""
    click.echo(message, err=True)
    sys.exit(1)


@contextmanager
def refuse_invalid(labels: dict[str, str]) -> Iterator[None]:
    """A refusal of the core as Chinese lines on stderr and exit status 1: a form's wrong fields
    one a line, each after its label (the core rolled back: nothing was written)."""
    try:
        yield
    except PayloadInvalid as exc:
        lines = [f"{labels.get(k, k)}：{v}" for k, v in exc.fields.items()]
        fail("填写有误：\n" + "\n".join(lines))
    except CaseflowError as exc:
        fail(exc.message_zh)
