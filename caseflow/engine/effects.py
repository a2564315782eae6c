"""Named effects: work a transition does inside fire's transaction, beyond moving the state.

Like guards, effects are referenced by name from the YAML and registered here, so a workflow file
cannot ask for anything that is not written, reviewed and tested in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from caseflow.clock import deadlines
from caseflow.engine.plugins import EffectContext, Plugin

if TYPE_CHECKING:
    pass


# The effects every workflow may name (installed by caseflow.bootstrap).
plugin = Plugin("engine.effects")


@plugin.effect("extend_total_deadline", moves_clock=True)
def extend_total_deadline(ctx: EffectContext) -> None:
    """30 → 45 working days, once; the event records who extended and why."""
    assert ctx.workflow.total_deadline is not None
    rule = ctx.ruleset.rule(ctx.workflow.total_deadline)
    deadlines.extend_total(ctx.session, ctx.case, ctx.ruleset, ctx.calendar, rule)
