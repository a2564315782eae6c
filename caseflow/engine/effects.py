"""Named effects: work a transition does inside fire's transaction, beyond moving the state.

Like guards, effects are referenced by name from the YAML and registered here, so a workflow file
cannot ask for anything that is not written, reviewed and tested in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from caseflow.clock import deadlines
from caseflow.engine.plugins import Plugin

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseflow.clock.workcal import WorkdayCalendar
    from caseflow.db.models import Case
    from caseflow.kernel.actors import Actor
    from caseflow.workflow.model import WorkflowDef
    from caseflow.workflow.rulesets import RuleSet


@dataclass(frozen=True)
class EffectContext:
    session: Session
    case: Case
    workflow: WorkflowDef
    ruleset: RuleSet
    calendar: WorkdayCalendar
    actor: Actor
    now: datetime
    payload: dict[str, Any]


EffectFn = Callable[[EffectContext], None]
# The effects every workflow may name (installed by caseflow.bootstrap).
plugin = Plugin("engine.effects")


@plugin.effect("extend_total_deadline")
def extend_total_deadline(ctx: EffectContext) -> None:
    """30 → 45 working days, once; the event records who extended and why."""
    assert ctx.workflow.total_deadline is not None
    rule = ctx.ruleset.rule(ctx.workflow.total_deadline)
    deadlines.extend_total(ctx.session, ctx.case, ctx.ruleset, ctx.calendar, rule)
