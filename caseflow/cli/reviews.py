"""`caseflow reviews …`: rebuild schedules from approved cases, open due reviews, list the plan."""

from __future__ import annotations

import sys

import click


@click.group("reviews")
def reviews() -> None:
    """定期复核（复核计划）。"""


@reviews.command("sync")
def reviews_sync() -> None:
    """根据已批准的低保/特困案件和已完成的复核，（重新）建立复核计划。"""
    from caseflow.cli.helpers import cli_session
    from caseflow.kernel.timeutil import utcnow
    from caseflow.reviews.sync import sync_schedules

    with cli_session() as session:
        report = sync_schedules(session, utcnow())
    click.echo(report.summary_zh())


@reviews.command("open")
@click.option(
    "--now", "now_text", default=None, help="按此时间运行（ISO 8601；不带时区时按北京时间）。"
)
def reviews_open(now_text: str | None) -> None:
    """启动已到期的复核（时限巡检也会启动）。"""
    from caseflow.cli.helpers import ready_engine
    from caseflow.db.engine import make_session_factory
    from caseflow.kernel.timeutil import parse_aware, utcnow
    from caseflow.reviews.opening import open_due_reviews

    now = parse_aware(now_text) if now_text else utcnow()
    engine = ready_engine()
    try:
        report = open_due_reviews(make_session_factory(engine), now)
    finally:
        engine.dispose()
    click.echo(report.summary_zh())
    if report.failed:
        sys.exit(2)
