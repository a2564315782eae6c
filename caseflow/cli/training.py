"""`caseflow training record|attend|list|untrained`: staff training (业务培训) sessions, their
attendance and the staff not trained this year, through the same functions as the training
page (caseflow.accounts.training). Attendees are named by account (username)."""

from __future__ import annotations

from collections.abc import Sequence

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.cli.helpers import fail, refuse_invalid
from caseflow.kernel.actors import Actor

SESSION_LABELS = {
    "held_on": "培训日期",
    "topic": "培训主题",
    "trainer": "授课人",
    "attendees": "参训人员",
    "session": "培训场次",
}


@click.group("training")
def training() -> None:
    """业务培训：登记培训及参训人员、查看当年培训、未参训人员名单。"""


def _user_ids(session: Session, usernames: Sequence[str]) -> list[str]:
    """The users' ids as the form sends them; an unknown account is refused by name."""
    from caseflow.db.models import User

    found = dict(
        session.execute(select(User.username, User.id).where(User.username.in_(usernames))).all()
    )
    unknown = [u for u in usernames if u not in found]
    if unknown:
        fail(f"参训人员：账号不存在：{'、'.join(unknown)}")
    return [str(found[u]) for u in usernames]


def _year(year: int | None) -> int:
    from caseflow.clock.workcal import local_date
    from caseflow.kernel.timeutil import utcnow

    this = local_date(utcnow()).year
    if year is None:
        return this
    if not 2000 <= year <= this:
        fail(f"年度应为 2000–{this} 的年份")
    return year


@training.command("record")
@click.option("--user", "username", required=True, help="登记人（区级民政审批或督查）。")
@click.option("--date", "held_on", required=True, help="培训日期 YYYY-MM-DD（不晚于今天）。")
@click.option("--topic", required=True, help="培训主题。")
@click.option("--trainer", required=True, help="授课人。")
@click.option(
    "--attendee", "attendees", multiple=True, help="参训人员账号，可多次指定（至少一名）。"
)
def record(
    username: str, held_on: str, topic: str, trainer: str, attendees: tuple[str, ...]
) -> None:
    """登记一场已举办的业务培训及参训人员。"""
    from caseflow.accounts.training import SessionInput, record_session
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        form = SessionInput(held_on, topic, trainer, _user_ids(session, attendees))
        with refuse_invalid(SESSION_LABELS):
            row = record_session(session, actor, form, utcnow())
        click.echo(
            f"已登记业务培训 {row.id}：{row.held_on}「{row.topic}」，参训 {len(attendees)} 人"
        )


@training.command("attend")
@click.argument("session_id", type=int, metavar="培训编号")
@click.option("--user", "username", required=True, help="登记人（区级民政审批或督查）。")
@click.option(
    "--attendee", "attendees", multiple=True, help="补登的参训人员账号，可多次指定（至少一名）。"
)
def attend(session_id: int, username: str, attendees: tuple[str, ...]) -> None:
    """为已登记的培训补登参训人员。"""
    from caseflow.accounts.training import add_attendance
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        ids = _user_ids(session, attendees)
        with refuse_invalid(SESSION_LABELS):
            added = add_attendance(session, actor, session_id, ids, utcnow())
        click.echo(f"已为培训 {session_id} 补登参训人员 {len(added)} 人")


def _viewer(session: Session, username: str) -> Actor:
    """The account asking for a training list, refused unless its roles may see one."""
    from caseflow.accounts.training import VIEW_ROLES
    from caseflow.cli.helpers import actor_by_username

    actor = actor_by_username(session, username)
    assert actor is not None
    if not actor.roles & VIEW_ROLES:
        fail("只有区级人员或乡镇领导可以查看业务培训")
    return actor


@training.command("list")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
@click.option("--year", type=int, default=None, help="年度，缺省为今年。")
def list_sessions(username: str, year: int | None) -> None:
    """当年举办的业务培训（参训人数只计您辖区内的人员）。"""
    from caseflow.accounts.training import sessions_of
    from caseflow.cli.helpers import cli_session

    year = _year(year)
    with cli_session() as session:
        actor = _viewer(session, username)
        lines = sessions_of(session, actor, year)
        if not lines:
            click.echo(f"{year} 年尚无业务培训记录")
        for line in lines:
            s = line.session
            click.echo(
                f"[{s.id}] {s.held_on} {s.topic}（授课：{s.trainer}），参训 {line.attendees} 人"
            )


@training.command("untrained")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
@click.option("--year", type=int, default=None, help="年度，缺省为今年。")
@click.option("--export", "export_path", default=None, help="同时导出到文件（.xlsx 或 .csv）。")
def untrained_report(username: str, year: int | None, export_path: str | None) -> None:
    """当年未参加任何业务培训的工作人员（按单位）。"""
    from pathlib import Path

    from caseflow.accounts.training import untrained
    from caseflow.cli.helpers import cli_session
    from caseflow.read.report_sheets import untrained_csv, untrained_xlsx

    year = _year(year)
    target = Path(export_path) if export_path else None
    if target is not None and target.suffix.lower() not in (".csv", ".xlsx"):
        fail("文件名须以 .csv 或 .xlsx 结尾")
    with cli_session() as session:
        actor = _viewer(session, username)
        rows = untrained(session, actor, year)
    if not rows:
        click.echo(f"{year} 年所有工作人员均已参加业务培训")
    for u in rows:
        click.echo(f"{u.unit_name}  {u.display_name}（{u.username}）")
    if rows:
        click.echo(f"共 {len(rows)} 人")
    if target is not None:
        data = (
            untrained_xlsx(rows, year) if target.suffix.lower() == ".xlsx" else untrained_csv(rows)
        )
        target.write_bytes(data)
        click.echo(f"已导出：{target}")
