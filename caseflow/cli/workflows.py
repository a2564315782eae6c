"""`caseflow workflows`: check the workflow definitions and rule sets, draw diagrams."""

from __future__ import annotations

import sys

import click


@click.group()
def workflows() -> None:
    """Workflow definitions."""


@workflows.command("check")
def workflows_check() -> None:
    """Load and validate every workflow and rule set; non-zero exit on the first broken file."""
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
        click.echo(f"规则集 {rs.key}（{rs.label}），自 {rs.effective_from} 起")


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
