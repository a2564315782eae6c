"""The `caseflow` command: the root group, database set-up, demo data, the server, the timer;
each further command group lives in a module of its own and is added here."""

from __future__ import annotations

import logging
import sys

import click

from caseflow.cli.api import api_group
from caseflow.cli.audit import audit
from caseflow.cli.backup import backup_command, restore_command
from caseflow.cli.board import board
from caseflow.cli.calendar import calendar
from caseflow.cli.campaign import campaign
from caseflow.cli.config import config_group
from caseflow.cli.helpers import ChineseErrors, cli_session, ready_engine
from caseflow.cli.institutions import institutions
from caseflow.cli.ledger import ledger
from caseflow.cli.logs import configure_logging
from caseflow.cli.oversight import oversight
from caseflow.cli.payments import payments
from caseflow.cli.policy import policy
from caseflow.cli.reviews import reviews
from caseflow.cli.roll import roll
from caseflow.cli.rounds import rounds
from caseflow.cli.training import training
from caseflow.cli.users import users
from caseflow.cli.worker import worker_command
from caseflow.cli.workflows import workflows
from caseflow.cli.zh import install as install_click_chinese
from caseflow.cli.zh import localise_tree
from caseflow.db.engine import make_engine

install_click_chinese()  # click's own words (用法、选项、错误) in the same language as ours


@click.group(cls=ChineseErrors)
def main() -> None:
    """caseflow：农村社会救助案件管理（低保、特困、临时救助）。"""
    # Warnings and errors of every command (the sweep's, an import's) reach stderr through a
    # handler that drops the values a database error quotes; `serve` configures its own.
    configure_logging(logging.WARNING)


@main.command("init-db")
def init_db() -> None:
    """建立或升级数据库结构（Alembic 迁移）；可在每次启动时运行，多台服务器同时运行也只升级一次。"""
    from caseflow.db.schema import head_revision, upgrade

    engine = make_engine()
    before = upgrade(engine)
    engine.dispose()
    head = head_revision()
    if before == head:  # another server (or an earlier start) migrated it already
        click.echo(f"数据库已就绪（结构版本 {head}，无需升级）")
    else:
        click.echo(f"数据库已就绪（结构版本 {before or '空'} → {head}）")


@main.command("seed")
@click.option("--demo", is_flag=True, required=True, help="载入演示辖区（沙坡头区）。")
@click.option("--households", default=300, show_default=True, help="演示家庭户数。")
def seed(demo: bool, households: int) -> None:
    """载入演示数据：单位、各角色工作人员、家庭，以及处于各环节的案件。"""
    from caseflow.db.schema import upgrade
    from caseflow.seed.demo import seed_demo

    engine = make_engine()
    upgrade(engine)  # the demo command sets up a fresh database by itself
    engine.dispose()
    with cli_session() as session:
        summary = seed_demo(session, households=households)
    click.echo(summary)


@main.command("tick")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="按此时间运行（ISO 8601；不带时区时按北京时间）。",
)
def tick(now_text: str | None) -> None:
    """运行一次时限巡检（供 cron 调用）：提醒、逐级督办、到期自动流转。

    当天首次运行时，先按日归并督办看板的计数。
    """
    from caseflow.db.engine import make_session_factory
    from caseflow.kernel.timeutil import parse_aware, utcnow
    from caseflow.timer.rounds import run_round

    now = parse_aware(now_text) if now_text else utcnow()
    engine = ready_engine()
    try:
        report, roll_error = run_round(make_session_factory(engine), now)
        if roll_error is not None:  # boards count live meanwhile; the deadlines were swept
            click.echo(f"督办看板计数表未能按日归并（下次运行时重试）：{roll_error}", err=True)
    finally:
        engine.dispose()
    click.echo(report.summary_zh())
    if report.failed:
        sys.exit(2)


for group in (
    workflows,
    board,
    calendar,
    policy,
    audit,
    ledger,
    api_group,
    reviews,
    roll,
    campaign,
    payments,
    config_group,
    backup_command,
    restore_command,
    worker_command,
    institutions,
    oversight,
    rounds,
    training,
    users,
):
    main.add_command(group)
localise_tree(main)


if __name__ == "__main__":
    main()
