"""`caseflow audit`: verify the hash-chained audit trail."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group()
def audit() -> None:
    """审计记录。"""


@audit.command("verify")
def audit_verify() -> None:
    """逐案核验审计记录的哈希链；发现被篡改的案件时逐一列出，并以非零状态退出。"""
    from caseflow.db.models import Case
    from caseflow.engine.audit import verify_admin_chain, verify_chains

    broken = 0
    with cli_session() as session:
        for brk in verify_chains(session):
            broken += 1
            case = session.get(Case, brk.case_id)
            number = case.case_no if case else f"#{brk.case_id}"
            click.echo(
                f"案件 {number}（id {brk.case_id}）第 {brk.seq} 条记录被篡改：{brk.reason}",
                err=True,
            )
        admin_break = verify_admin_chain(session)
    if admin_break is not None:
        click.echo(f"管理日志第 {admin_break} 条记录被篡改", err=True)
    if broken or admin_break is not None:
        click.echo(f"审计链校验失败：{broken} 个案件", err=True)
        sys.exit(1)
    click.echo("审计链校验通过")
