"""`caseflow api`: API tokens for other systems (issue, revoke, list)."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group("api")
def api_group() -> None:
    """数据交换接口（/api/v1）。"""


@api_group.group("token")
def api_token() -> None:
    """接口令牌：签发、吊销、列出。"""


@api_token.command("create")
@click.option("--user", "username", required=True, help="令牌代表的用户（具有其角色）。")
@click.option("--org", "org_code", required=True, help="管辖范围：用户所在单位或其下级的代码。")
@click.option("--days", default=365, show_default=True, help="有效天数。")
@click.option("--name", default="", help="用途（对接系统名称）；默认取用户名和单位。")
def api_token_create(username: str, org_code: str, days: int, name: str) -> None:
    """签发令牌：密钥只显示这一次，系统只保存其摘要。"""
    from sqlalchemy import select

    from caseflow.accounts.api_tokens import create_token
    from caseflow.db.models import User
    from caseflow.kernel.errors import PayloadInvalid
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        try:
            issued = create_token(
                session,
                user_id=user_id,
                org_code=org_code,
                name=name or f"命令行签发：{username}@{org_code}",
                days=days,
                now=utcnow(),
                created_by_id=None,
            )
        except PayloadInvalid as exc:
            click.echo(exc.message_zh, err=True)
            sys.exit(1)
        click.echo(f"令牌编号 {issued.token.id}，有效至 {issued.token.expires_at:%Y-%m-%d}")
    click.echo("令牌（仅显示这一次）：", err=True)
    click.echo(issued.secret)


@api_token.command("revoke")
@click.argument("token_id", type=int, metavar="令牌编号")
def api_token_revoke(token_id: int) -> None:
    """立即吊销指定编号的令牌（记入管理日志）。"""
    from caseflow.accounts.api_tokens import revoke_token
    from caseflow.kernel.errors import CaseNotFound
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        try:
            token = revoke_token(session, token_id, utcnow(), None)
        except CaseNotFound as exc:
            click.echo(exc.message_zh, err=True)
            sys.exit(1)
        click.echo(f"已吊销令牌 {token.id}（{token.hint}…，{token.name}）")


@api_token.command("list")
def api_token_list() -> None:
    """列出令牌及其状态和最近使用时间（从不显示密钥）。"""
    from caseflow.accounts.api_tokens import STATUS_LABELS, tokens_in_scope
    from caseflow.kernel.timeutil import utcnow

    now = utcnow()
    with cli_session() as session:
        tokens = tokens_in_scope(session, "/")
        if not tokens:
            click.echo("尚未签发任何接口令牌（用 caseflow api token create 签发）。")
        for t in tokens:
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "从未使用"
            click.echo(
                f"{t.id}\t{t.hint}…\t{t.user.username}\t{t.org_unit.code}\t"
                f"{STATUS_LABELS[t.status(now)]}\t至 {t.expires_at:%Y-%m-%d}\t{used}\t{t.name}"
            )
