"""`caseflow oversight …`: the district's spot-check draw and the supervision reports (per-township
spot checks, 问责统计), as the user named may do and see them (jurisdiction in SQL)."""

from __future__ import annotations

import sys
from datetime import date

import click


@click.group("oversight")
def oversight() -> None:
    """督查：抽查抽样、抽查统计、问责统计。"""


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@oversight.command("draw")
@click.option("--user", "username", required=True, help="抽取人（区级督查或审批）。")
@click.option("--rate", default="", help="随机抽查比例（%），不填则按各乡镇适用规则集。")
@click.option("--seed", default="", help="随机种子，不填则自动生成并记录。")
def oversight_draw(username: str, rate: str, seed: str) -> None:
    """抽取抽查样本，并为每件抽中的案件建立抽查案件。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.errors import CaseflowError, PayloadInvalid
    from caseflow.kernel.timeutil import utcnow
    from caseflow.oversight.spot_checks import draw_size, draw_spot_checks

    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            row = draw_spot_checks(session, actor, rate, seed, utcnow())
        except PayloadInvalid as exc:
            _fail("；".join(exc.fields.values()))
            return
        except (CaseflowError, LookupError) as exc:
            _fail(getattr(exc, "message_zh", str(exc)))
            return
        click.echo(f"已抽取 {draw_size(row)} 件（随机种子 {row.seed}），已为每件建立抽查案件")


@oversight.command("report")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
def oversight_report(username: str) -> None:
    """按乡镇统计抽查：抽中、已核查、发现问题、问题发现率、逾期。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow
    from caseflow.oversight.report import township_report

    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        lines = township_report(session, actor, utcnow())
        if not lines:
            click.echo("尚无抽查")
        for x in lines:
            click.echo(
                f"{x.name}：抽中 {x.sampled}，已核查 {x.checked}，发现问题 {x.problems}，"
                f"问题发现率 {x.findings_rate}，逾期 {x.overdue}"
            )


@oversight.command("accountability")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
@click.option("--from", "first", required=True, help="开始日期 YYYY-MM-DD。")
@click.option("--to", "last", required=True, help="结束日期 YYYY-MM-DD。")
def oversight_accountability(username: str, first: str, last: str) -> None:
    """问责统计（只计数）：按乡镇、按工作人员的逾期、升级督办、抽查发现问题、投诉举报属实。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.oversight.accountability import KINDS, accountability

    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        _fail("日期格式应为 2026-01-31")
        return
    if start > end:
        _fail("结束日期不能早于开始日期")
        return
    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        data = accountability(session, actor, start, end)
        for title, rows in (("按乡镇", data.townships), ("按工作人员", data.staff)):
            click.echo(f"{title}：")
            for name, counts in sorted(rows.items()):
                parts = "，".join(f"{label} {counts[k]}" for k, label in KINDS.items())
                click.echo(f"  {name}：{parts}")
