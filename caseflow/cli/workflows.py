"""`caseflow workflows`: check the workflow definitions and rule sets, draw diagrams."""

from __future__ import annotations

import sys

import click


@click.group()
def workflows() -> None:
    """Workflow definitions."""


@workflows.command("check")
@click.option("--unverified", is_flag=True, help="也列出每条待核实的规则及其出处。")
def workflows_check(unverified: bool) -> None:
    """Load and validate every workflow and rule set; non-zero exit on the first broken file.
    Says, per rule set, how many of its rules no checked text supports yet (待核实)."""
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
@click.argument("key")
def workflows_diagram(key: str) -> None:
    """Print the workflow KEY as a mermaid state diagram."""
    from caseflow.bootstrap import boot
    from caseflow.kernel.errors import DefinitionError
    from caseflow.workflow.machine import mermaid

    try:
        click.echo(mermaid(boot().workflow(key)))
    except DefinitionError as exc:
        click.echo(exc.message_zh, err=True)
        sys.exit(1)
