"""`caseflow policy`: show and load dated policy configuration, list the 提标 changes."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session
from caseflow.policy.store import district_region


@click.group()
def policy() -> None:
    """救助政策配置：按施行日期的标准、限额和金额（示例值有标注）。"""


@policy.command("show")
@click.option("--region", default=district_region, help="地区代码（默认：配置的 district_code）。")
def policy_show(region: str) -> None:
    """列出某地区已录入的配置及其施行日期和状态。"""
    from caseflow.db.models import PolicyRecord
    from caseflow.kernel.money import format_yuan
    from caseflow.policy.store import policy_table

    with cli_session() as session:
        table = policy_table(session, region)
        records = {
            r.effective_from: r for r in session.query(PolicyRecord).filter_by(region=region)
        }
        for config in table.configs:
            record = records[config.effective_from]
            status = "示例值，待确认" if config.is_example else f"已确认（{record.confirmed_at}）"
            orphans = ""
            if config.orphans is not None:
                orphans = (
                    f"；孤儿基本生活费 集中养育 {format_yuan(config.orphans.centralised_fen)} 元、"
                    f"社会散居 {format_yuan(config.orphans.dispersed_fen)} 元/人·月"
                    f"（{config.orphans.basis}）"
                )
            click.echo(
                f"{config.effective_from} 起：{config.label_zh}；低保标准 "
                f"{format_yuan(config.dibao_standard_fen)} 元/人·月{orphans}；{status}"
            )


@policy.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), metavar="文件")
def policy_load(path: str) -> None:
    """录入政策 YAML 文件中的配置（每项变更记入管理日志）。"""
    from pathlib import Path

    from caseflow.kernel.errors import DefinitionError
    from caseflow.kernel.timeutil import utcnow
    from caseflow.policy.store import load_policy_file

    with cli_session() as session:
        try:
            stored = load_policy_file(session, Path(path), None, utcnow())
        except DefinitionError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(f"已录入 {len(stored)} 份配置")


@policy.command("rise")
@click.argument("effective_from", metavar="施行日期")
@click.option("--region", default=district_region, help="地区代码（默认：配置的 district_code）。")
def policy_rise(effective_from: str, region: str) -> None:
    """提标：自施行日期（YYYY-MM-DD）起发生变化的低保/特困保障金额。"""
    from datetime import date

    from caseflow.kernel.money import format_yuan
    from caseflow.payments.rise import rise_list

    with cli_session() as session:
        result = rise_list(session, region, date.fromisoformat(effective_from))
    click.echo(f"{result.old_label} → {result.new_label}，{result.effective_from} 起")
    for item in result.items:
        click.echo(item.line_zh())
    click.echo(f"共 {len(result.items)} 项，首月增加 {format_yuan(result.total_difference_fen)} 元")
