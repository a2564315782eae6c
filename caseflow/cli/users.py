"""`caseflow users create-admin`: the first administrator of a new installation (every other
account is opened by an administrator on /admin/users)."""

from __future__ import annotations

import click

from caseflow.cli.helpers import refuse_invalid

LABELS = {"username": "用户名", "display_name": "姓名", "password": "密码"}


@click.group("users")
def users() -> None:
    """账号：为新安装的系统建立第一个管理员账号（其余账号由管理员在系统中开设）。"""


@users.command("create-admin")
@click.option("--username", required=True, help="管理员用户名（3–64 位字母、数字或下划线）。")
@click.option("--name", "display_name", required=True, help="管理员姓名。")
@click.password_option(
    "--password",
    prompt="密码",
    confirmation_prompt="再次输入密码",
    help="不在命令行中给出时，将提示输入（不显示）。",
)
def create_admin(username: str, display_name: str, password: str) -> None:
    """建立区级系统管理员账号；数据库中还没有本区及其乡镇时一并建立。"""
    from caseflow.accounts.staff import create_first_admin
    from caseflow.cli.helpers import cli_session
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session, refuse_invalid(LABELS):
        user = create_first_admin(session, username, display_name, password, utcnow())
        click.echo(f"已建立系统管理员 {user.username}（{user.display_name}），请登录后开设其他账号")
