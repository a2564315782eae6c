"""`caseflow rounds record|list`: the twice-yearly screening rounds (排查摸底) of each township,
through the same functions as the campaigns page (caseflow.campaigns.rounds)."""

from __future__ import annotations

import click

from caseflow.cli.helpers import refuse_invalid


@click.group("rounds")
def rounds() -> None:
    """排查摸底轮次（每年上、下半年各一次）：登记、按乡镇查看。"""


ROUND_LABELS = {
    "township": "乡镇",
    "year": "年度",
    "half": "半年",
    "held_from": "开始日期",
    "held_to": "结束日期",
    "households": "排查户数",
    "note": "情况说明",
}


@rounds.command("record")
@click.option("--user", "username", required=True, help="登记人（乡镇审核、乡镇领导或区级人员）。")
@click.option("--township", required=True, help="乡镇代码，如 640502100。")
@click.option("--year", required=True, help="年度，如 2026。")
@click.option("--half", required=True, help="1＝上半年，2＝下半年。")
@click.option("--from", "held_from", required=True, help="开始日期 YYYY-MM-DD。")
@click.option("--to", "held_to", required=True, help="结束日期 YYYY-MM-DD（不晚于今天）。")
@click.option("--households", required=True, help="排查户数。")
@click.option("--note", default="", help="情况说明（不超过 500 字）。")
def record(
    username: str,
    township: str,
    year: str,
    half: str,
    held_from: str,
    held_to: str,
    households: str,
    note: str,
) -> None:
    """登记一个乡镇某半年已完成的排查摸底。"""
    from caseflow.campaigns.rounds import HALF_LABELS, RoundInput, record_round
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow

    form = RoundInput(township, year, half, held_from, held_to, households, note)
    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        with refuse_invalid(ROUND_LABELS):
            row = record_round(session, actor, form, utcnow())
        click.echo(
            f"已登记 {row.year} 年{HALF_LABELS[row.half]}排查摸底"
            f"（{row.held_from} — {row.held_to}，{row.households_screened} 户）"
        )


@rounds.command("list")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
@click.option("--year", type=int, default=None, help="年度，缺省为今年。")
def list_rounds(username: str, year: int | None) -> None:
    """各乡镇当年两轮排查摸底的情况；逾期未开展的一轮标「缺」。"""
    from caseflow.campaigns.rounds import HALF_LABELS, MISSED, STATUS_LABELS, year_status
    from caseflow.cli.helpers import actor_by_username, cli_session, fail
    from caseflow.clock.workcal import local_date
    from caseflow.kernel.timeutil import utcnow

    today = local_date(utcnow())
    year = today.year if year is None else year
    if not 2000 <= year <= today.year:
        fail(f"年度应为 2000–{today.year} 的年份")
    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        rows = year_status(session, actor, year, today)
        if not rows:
            click.echo("您的辖区内没有乡镇")
        for row in rows:
            parts = []
            for half, (status, found) in sorted(row.rounds.items()):
                text = f"{HALF_LABELS[half]} {STATUS_LABELS[status]}"
                if found is not None:
                    text += f"（{found.held_from}—{found.held_to}，{found.households_screened} 户）"
                parts.append(text)
            flag = "缺" if any(s == MISSED for s, _ in row.rounds.values()) else "  "
            click.echo(f"{flag} {row.code} {row.name}：{'；'.join(parts)}")
