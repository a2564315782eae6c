"""`caseflow config`: the effective configuration and whether production may start with it."""

from __future__ import annotations

import click

from caseflow.kernel.settings import ConfigError, describe, load_settings, production_problems


@click.group("config")
def config_group() -> None:
    """配置（环境变量与 caseflow.toml）。"""


@config_group.command("show")
def config_show() -> None:
    """列出全部配置项、当前取值（密钥与数据库密码隐藏）及其来源。"""
    settings = load_settings()
    click.echo(f"配置文件：{settings.config_file or '（无）'}")
    for line in describe(settings):
        click.echo(line)


@config_group.command("check")
def config_check() -> None:
    """检查配置能否用于生产模式；有问题时逐项列出并以状态 1 退出。"""
    settings = load_settings()
    problems = production_problems(settings)
    if problems:
        raise ConfigError("\n".join(problems))
    click.echo(f"配置可用（运行模式：{settings.env}）")
