"""`caseflow backup` / `caseflow restore`: the whole database to one file and back."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.db.backup import backup, restore
from caseflow.db.engine import database_url
from caseflow.kernel.settings import hide_password


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path), metavar="备份文件")
def backup_command(target: Path) -> None:
    """将整个数据库备份到一个文件（PostgreSQL 用 pg_dump，SQLite 用在线备份）；服务可不停。"""
    url = database_url()
    backup(url, target)
    click.echo(f"已备份 {hide_password(url)} 到 {target}（{target.stat().st_size} 字节）")


@click.command("restore")
@click.argument(
    "source", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="备份文件"
)
@click.option("--yes", is_flag=True, help="确认用备份替换当前数据库的全部内容。")
def restore_command(source: Path, yes: bool) -> None:
    """用备份文件替换当前数据库的全部内容；之后请运行 caseflow init-db 和 caseflow audit verify。

    恢复前请停止所有服务器和 caseflow worker。
    """
    url = database_url()
    if not yes:
        raise click.UsageError(f"恢复将替换 {hide_password(url)} 的全部内容：确认请加 --yes")
    restore(url, source)
    click.echo(
        f"已从 {source} 恢复 {hide_password(url)}。"
        "请运行 caseflow init-db（升级到当前版本）和 caseflow audit verify。"
    )
