"""`caseflow workflows`: check the workflow definitions and rule sets, draw diagrams."""

from __future__ import annotations

import sys

import click


@click.group()
def workflows() -> None:
    """流程定义。"""


@workflows.command("check")
@click.option("--unverified", is_flag=True, help="也列出每条待核实的规则及其出处。")
def workflows_check(unverified: bool) -> None:
    """载入并校验全部流程定义和规则集，遇到第一个有误的文件即以非零状态退出。

    按规则集说明尚无核实依据（待核实）的规则条数。
    """
    from caseflow.bootstrap import load_definitions
    from caseflow.kernel.errors import DefinitionError

    try:
        reg = load_definitions()
    except DefinitionError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for wf in reg.workflows.values():
        click.echo(
            f"{wf.key:10s} {wf.label}：{len(wf.states)} 个状态，{len(wf.transitions)} 个操作"
        )
    for rs in reg.rulesets.values():
        open_items = rs.unverified()
        click.echo(
            f"规则集 {rs.key}（{rs.label}），自 {rs.effective_from} 起："
            f"{len(rs.cited())} 条规则，其中 {len(open_items)} 条待核实"
        )
        if unverified:
            for name in open_items:
                click.echo(f"  {name}：{rs.source_of(name) or '未注明出处'}")


@workflows.command("diagram")
@click.argument("key", metavar="流程代码")
def workflows_diagram(key: str) -> None:
    """以 mermaid 状态图输出指定流程。"""
    from caseflow.bootstrap import boot
    from caseflow.kernel.errors import DefinitionError
    from caseflow.workflow.machine import mermaid

    try:
        click.echo(mermaid(boot().workflow(key)))
    except DefinitionError as exc:
        click.echo(exc.message_zh, err=True)
        sys.exit(1)
