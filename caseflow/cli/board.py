"""`caseflow board`: check and rebuild the counters behind the supervisors' board."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group()
def board() -> None:
    """督办看板的计数表（board_counts）：核对与重建。"""


@board.command("check-counts")
def board_check_counts() -> None:
    """将督办看板的计数与按案件重新统计的结果核对（不一致时退出码为 1）。"""
    from caseflow.read.board_counts import drift, read_horizon

    with cli_session() as session:
        found = drift(session)
        horizon = read_horizon(session)
    folded = f"（按 {horizon.day} 的账龄区间归并）" if horizon else "（按确切到期时刻）"
    if found.ok:
        click.echo(f"计数表与案件一致{folded}")
        return
    for key, (stored, fresh) in sorted(found.differences.items(), key=str):
        township, state, workflow, due = key
        click.echo(f"{township}\t{state}\t{workflow}\t{due}\t计数表 {stored}\t实际 {fresh}")
    click.echo(f"计数表有 {len(found.differences)} 处与案件不符", err=True)
    click.echo("请运行：caseflow board rebuild-counts", err=True)
    sys.exit(1)


@board.command("rebuild-counts")
def board_rebuild_counts() -> None:
    """按案件重新计算督办看板的计数（修复用；系统运行中也可执行）。"""
    from caseflow.engine.uow import UnitOfWork
    from caseflow.read.board_counts import rebuild_counts

    with cli_session() as session, UnitOfWork(session) as uow:
        rows = rebuild_counts(session)
        uow.commit()
    click.echo(f"已重建计数表：{rows} 行")
