"""`caseflow roll …`: prepare a township's monthly roll or its supplement, approve the 提标 list."""

from __future__ import annotations

import sys
from datetime import date

import click

from caseflow.policy.store import district_region


@click.group("roll")
def roll() -> None:
    """月度发放名册。"""


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@roll.command("prepare")
@click.option("--township", required=True, help="乡镇代码，例如 640502100。")
@click.option("--month", required=True, help="发放月份 YYYY-MM，例如 2026-12。")
@click.option("--user", "username", required=True, help="编制人（乡镇审核或乡镇领导）。")
@click.option(
    "--supplement",
    is_flag=True,
    help="编制当月补发名单：只列当月名册编制后批准、尚未列入名册的对象。",
)
def roll_prepare(township: str, month: str, username: str, supplement: bool) -> None:
    """编制乡镇某月的发放名册（加 --supplement 则编制当月补发名单）：
    按案件生成各行，并列出风险提示。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.errors import CaseflowError, PayloadInvalid
    from caseflow.kernel.money import format_yuan
    from caseflow.kernel.timeutil import utcnow
    from caseflow.payments.risk import open_findings
    from caseflow.payments.roll import prepare_roll
    from caseflow.payments.supplement import prepare_supplement

    make = prepare_supplement if supplement else prepare_roll
    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            made = make(session, actor, township, month, utcnow())
        except PayloadInvalid as exc:
            _fail("；".join(exc.fields.values()) or exc.message_zh)
            return
        except (CaseflowError, LookupError) as exc:
            _fail(getattr(exc, "message_zh", str(exc)))
            return
        findings = open_findings(session, made.id)
        what = f"第{made.supplement_no}次补发名单" if made.supplement_no else "名册"
        click.echo(
            f"已编制{what} #{made.id}（{made.month}）：{made.row_count} 行，合计 "
            f"{format_yuan(made.total_fen)} 元，风险提示 {findings} 条"
        )


@roll.command("approve-rise")
@click.argument("effective_from", metavar="施行日期")
@click.option("--region", default=district_region, help="地区代码（默认：配置的 district_code）。")
@click.option("--user", "username", required=True, help="批准人（区民政审批）。")
def roll_approve_rise(effective_from: str, region: str, username: str) -> None:
    """建立并批准自施行日期（YYYY-MM-DD）起的提标名单，当月起按新金额保障。

    已发放的月份由下一期名册补发。
    """
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.errors import CaseflowError
    from caseflow.kernel.timeutil import utcnow
    from caseflow.payments.rise import approve_rise_list

    try:
        day = date.fromisoformat(effective_from)
    except ValueError:
        _fail("日期格式应为 YYYY-MM-DD")
        return
    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            n = approve_rise_list(session, actor, region, day, utcnow())
        except (CaseflowError, LookupError) as exc:
            _fail(getattr(exc, "message_zh", str(exc)))
            return
    click.echo(f"已批准提标名单：{n} 项，自 {day:%Y-%m} 起写入保障记录")
