"""`caseflow payments`: reconcile the rolls of a month against the entitlement history."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group()
def payments() -> None:
    """发放核对：名册与保障记录逐月比对。"""


@payments.command("reconcile")
@click.option("--month", required=True, help="月份（YYYY-MM）。")
def payments_reconcile(month: str) -> None:
    """将当月名册逐行与有效的保障记录核对；有差异时退出码为 1。"""
    from caseflow.kernel.actors import SYSTEM_ACTOR
    from caseflow.payments.months import parse_month
    from caseflow.payments.reconcile import reconcile

    parsed = parse_month(month)
    if parsed is None:
        click.echo("月份格式应为 YYYY-MM，例如 2026-12", err=True)
        sys.exit(2)
    with cli_session() as session:
        result = reconcile(session, SYSTEM_ACTOR, parsed)
    if not result.townships:
        click.echo(f"{parsed} 没有有效的发放名册")
        return
    for diff in result.differences:
        click.echo(diff.line_zh())
    summary = (
        f"{parsed}：{len(result.townships)} 个乡镇的名册，核对 {result.cases_checked} 个案件，"
        f"差异 {len(result.differences)} 处"
    )
    click.echo(summary, err=bool(result.differences))
    if result.differences:
        sys.exit(1)
