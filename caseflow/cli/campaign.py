"""`caseflow campaign create|link|status`: screening campaigns from the command line."""

from __future__ import annotations

import sys

import click

from caseflow.kernel.errors import CaseflowError, PayloadInvalid


@click.group("campaign")
def campaign() -> None:
    """排查摸底活动：创建、关联比对批次、查看各乡镇进度。"""


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@campaign.command("create")
@click.option("--name", required=True, help="活动名称，如「2026 年下半年排查摸底」")
@click.option(
    "--stages",
    required=True,
    help="名称:开始:结束[:目标%]，逗号分隔，如 摸清底数:2026-09-01:2026-09-30:30,…",
)
@click.option("--run", "run_id", default="", help="关联的比对批次号（可稍后用 link 关联）")
@click.option("--district-after", default="3", show_default=True, help="逾期后几个工作日上报区级")
@click.option("--user", "username", required=True, help="以该用户身份创建（区级审批或督查）")
def create(name: str, stages: str, run_id: str, district_after: str, username: str) -> None:
    """创建排查摸底活动及其各阶段日期。"""
    from caseflow.campaigns.service import create_campaign, parse_stages_spec
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            found = create_campaign(
                session,
                actor,
                name,
                parse_stages_spec(stages),
                utcnow(),
                comparison_run_id=run_id,
                district_after_working_days=district_after,
            )
        except LookupError as exc:
            _fail(str(exc))
            return
        except PayloadInvalid as exc:
            _fail("\n".join(f"{k}：{v}" for k, v in exc.fields.items()))
            return
        except CaseflowError as exc:
            _fail(exc.message_zh)
            return
        click.echo(f"已创建排查摸底活动 {found.id}：{found.name}（{len(found.stages)} 个阶段）")


@campaign.command("link")
@click.argument("campaign_id", type=int, metavar="活动编号")
@click.option("--run", "run_id", required=True, help="比对批次号")
@click.option("--user", "username", required=True, help="以该用户身份操作")
def link(campaign_id: int, run_id: str, username: str) -> None:
    """将比对批次关联到活动。"""
    from caseflow.campaigns.service import link_run
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            link_run(session, actor, campaign_id, run_id, utcnow())
        except LookupError as exc:
            _fail(str(exc))
            return
        except PayloadInvalid as exc:
            _fail("\n".join(exc.fields.values()))
            return
        except CaseflowError as exc:
            _fail(exc.message_zh)
            return
        click.echo(f"活动 {campaign_id} 已关联比对批次 {run_id}")


@campaign.command("status")
@click.option("--user", "username", default=None, help="只看该用户辖区（缺省为全区）")
def status(username: str | None) -> None:
    """各活动的阶段及各乡镇进度（已处理／总数）。"""
    from caseflow.campaigns.progress import campaigns, current_stage, township_progress
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.clock.workcal import local_date
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
        except LookupError as exc:
            _fail(str(exc))
            return
        scope = actor.org_path if actor else "/"
        today = local_date(utcnow())
        found = campaigns(session)
        if not found:
            click.echo("尚无排查摸底活动")
        for c in found:
            now_stage = current_stage(c, today)
            click.echo(
                f"[{c.id}] {c.name}（当前阶段：{now_stage.name if now_stage else '已结束'}）"
            )
            for s in c.stages:
                click.echo(
                    f"    {s.position}. {s.name} {s.starts_on} — {s.ends_on}"
                    f" 目标 {s.target_percent}%"
                )
            if c.comparison_run_id is None:
                click.echo("    尚未关联比对批次")
                continue
            for row in township_progress(session, c.comparison_run_id, scope):
                bar = "#" * (row.percent // 5)
                click.echo(
                    f"    {row.name:<8} {row.resolved:>6}/{row.total:<6} {row.percent:>3}% {bar}"
                )
