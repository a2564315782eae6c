"""`caseflow calendar`: the working-day calendar: check coverage, load override years."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group()
def calendar() -> None:
    """工作日历（法定节假日与调休上班日）。"""


@calendar.command("check")
@click.option("--years", default=None, help="要检查的年份，如 2026,2027（默认：今年和明年）。")
def calendar_check(years: str | None) -> None:
    """提示节假日安排既不在日历包中、也未由管理员录入的年份。"""
    from caseflow.clock.calendar_store import load_calendar
    from caseflow.kernel.timeutil import to_local, utcnow

    this_year = to_local(utcnow()).year
    wanted = [int(y) for y in years.split(",")] if years else [this_year, this_year + 1]
    with cli_session() as session:
        cal = load_calendar(session)
    warnings = cal.coverage_warnings(wanted)
    for text in warnings:
        click.echo(f"警告：{text}", err=True)
    if warnings:
        sys.exit(1)
    click.echo("工作日历已覆盖：" + "、".join(str(y) for y in wanted))


@calendar.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), metavar="文件")
def calendar_load(path: str) -> None:
    """将某年的节假日／调休安排文件载入数据库。"""
    from caseflow.clock.calendar_store import store_overrides
    from caseflow.clock.workcal import OverrideFileError, load_overrides_yaml
    from caseflow.engine.uow import UnitOfWork
    from caseflow.kernel.timeutil import utcnow

    try:
        overrides, complete = load_overrides_yaml(path)
    except OverrideFileError as exc:
        click.echo(f"文件有误：{exc}", err=True)
        sys.exit(1)
    with cli_session() as session, UnitOfWork(session) as uow:
        store_overrides(session, overrides, complete, None, utcnow())
        uow.commit()
    click.echo(f"已录入 {len(overrides)} 个日期；已确认完整的年份：{sorted(complete) or '无'}")
