"""The `caseflow` command: database set-up, demo data, workflow checks, audit verification."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from caseflow.db import make_engine, make_session_factory


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session on CASEFLOW_DATABASE_URL (or the embedded SQLite file)."""
    engine = make_engine()
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """caseflow：农村社会救助案件管理（低保、特困、临时救助）。"""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from caseflow.schema import upgrade

    engine = make_engine()
    upgrade(engine)
    engine.dispose()
    click.echo("数据库已就绪")


@main.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Load the demo district (沙坡头区).")
@click.option("--households", default=300, show_default=True, help="How many demo households.")
def seed(demo: bool, households: int) -> None:
    """Load demo data: org units, staff for every role, households and cases in every state."""
    from caseflow.demo import seed_demo

    with cli_session() as session:
        summary = seed_demo(session, households=households)
    click.echo(summary)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--debug", is_flag=True, help="Flask's development server (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Run the web application (waitress in production mode)."""
    from web.server import run

    run(host=host, port=port, debug=debug)


@main.group()
def workflows() -> None:
    """Workflow definitions."""


@workflows.command("check")
def workflows_check() -> None:
    """Load and validate every workflow and rule set; non-zero exit on the first broken file."""
    from caseflow.errors import DefinitionError
    from caseflow.workflow.registry import load_registry

    try:
        reg = load_registry()
    except DefinitionError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for wf in reg.workflows.values():
        click.echo(f"{wf.key:10s} {wf.label}：{len(wf.states)} 个状态，{len(wf.transitions)} 个操作")
    for rs in reg.rulesets.values():
        click.echo(f"规则集 {rs.key}（{rs.label}），自 {rs.effective_from} 起")


@workflows.command("diagram")
@click.argument("key")
def workflows_diagram(key: str) -> None:
    """Print the workflow KEY as a mermaid state diagram."""
    from caseflow.errors import DefinitionError
    from caseflow.workflow.machine import mermaid
    from caseflow.workflow.registry import registry

    try:
        click.echo(mermaid(registry().workflow(key)))
    except DefinitionError as exc:
        click.echo(exc.message_zh, err=True)
        sys.exit(1)


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk every case's hash chain; non-zero exit naming each broken case."""
    from caseflow.audit import verify_chains
    from caseflow.models import Case

    broken = 0
    with cli_session() as session:
        for brk in verify_chains(session):
            broken += 1
            case = session.get(Case, brk.case_id)
            number = case.case_no if case else f"#{brk.case_id}"
            click.echo(f"案件 {number}（id {brk.case_id}）第 {brk.seq} 条记录被篡改：{brk.reason}",
                       err=True)
    if broken:
        click.echo(f"审计链校验失败：{broken} 个案件", err=True)
        sys.exit(1)
    click.echo("审计链校验通过")


if __name__ == "__main__":
    main()
