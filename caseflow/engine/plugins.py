"""The contract between the engine and the code plugged into it.

What a guard, an effect and an after-commit hook are handed (GuardContext, EffectContext,
FireResult), and what a package plugs in: named guards, named effects, after-commit hooks.

A package declares them on a `Plugin` of its own; nothing is registered by importing a module.
The composition root (`caseflow.bootstrap`) installs every package's plugin into the engine's
tables, once, in one visible place — so the names a workflow YAML may use are exactly the ones
installed there, and a new workflow's code is plugged in by one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseflow.clock.workcal import WorkdayCalendar
    from caseflow.db.models import Case
    from caseflow.db.record import CaseRecord
    from caseflow.kernel.actors import Actor
    from caseflow.workflow.model import WorkflowDef
    from caseflow.workflow.rulesets import RuleSet


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at; `payload` is None when only previewing available actions."""

    session: Session
    case: CaseRecord  # the locked row in fire(); the case as it stands in a preview
    actor: Actor
    now: datetime
    ruleset: RuleSet
    payload: dict[str, Any] | None


GuardFn = Callable[[GuardContext], "str | None"]


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


@dataclass(frozen=True)
class FireResult:
    case_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    event_id: int
    actor: Actor
    at: datetime


# Work that follows a committed transition, in transactions of its own: fire() queues the hooks on
# its unit of work, which runs them after the commit with the same session. A hook that changes a
# case does it through fire() like everything else; it must never undo or block the transition
# that triggered it, so a hook's failure is logged and the others go on.
AfterCommit = Callable[["Session", FireResult], None]
Setup = Callable[[], None]


@dataclass(frozen=True)
class Guard:
    name: str
    fn: GuardFn
    needs_payload: bool  # such guards are judged only when the form is submitted


# The engine's tables: filled by install() only, read by fire() and by the workflow loader.
GUARDS: dict[str, Guard] = {}
EFFECTS: dict[str, EffectFn] = {}
AFTER_COMMIT_HOOKS: list[AfterCommit] = []
CLOCK_EFFECTS: set[str] = set()  # effects that change deadlines (the case's clock follows)


@dataclass
class Plugin:
    """One package's guards, effects, after-commit hooks and set-up steps."""

    name: str
    guards: dict[str, Guard] = field(default_factory=dict)
    effects: dict[str, EffectFn] = field(default_factory=dict)
    hooks: list[AfterCommit] = field(default_factory=list)
    clock_effects: set[str] = field(default_factory=set)
    setups: list[Setup] = field(default_factory=list)

    def guard(self, name: str, *, needs_payload: bool = False) -> Callable[[GuardFn], GuardFn]:
        """Declare `fn` as the guard `name` (judged only on submit when `needs_payload`)."""

        def declare(fn: GuardFn) -> GuardFn:
            _unique(name, self.guards, "guard")
            self.guards[name] = Guard(name, fn, needs_payload)
            return fn

        return declare

    def effect(self, name: str, *, moves_clock: bool = False) -> Callable[[EffectFn], EffectFn]:
        """Declare `fn` as the effect `name` (`moves_clock`: it changes the case's deadlines,
        so fire() copies the new due date onto the case afterwards)."""

        def declare(fn: EffectFn) -> EffectFn:
            _unique(name, self.effects, "effect")
            self.effects[name] = fn
            if moves_clock:
                self.clock_effects.add(name)
            return fn

        return declare

    def after_commit(self, fn: AfterCommit) -> AfterCommit:
        """Declare `fn` to run after every committed fire()."""
        self.hooks.append(fn)
        return fn

    def setup(self, fn: Setup) -> Setup:
        """Declare a step run once at installation (e.g. ORM listeners)."""
        self.setups.append(fn)
        return fn


_INSTALLED: set[str] = set()


def install(*plugins: Plugin) -> None:
    """Put the plugins' guards, effects and hooks into the engine's tables (each plugin once).
    A plugin whose names clash with installed ones (or with each other) installs nothing."""
    fresh = [p for p in plugins if p.name not in _INSTALLED]
    guards: dict[str, Guard] = dict(GUARDS)
    effects: dict[str, EffectFn] = dict(EFFECTS)
    for plugin in fresh:  # check every name before anything is installed
        for name, g in plugin.guards.items():
            _unique(name, guards, "guard")
            guards[name] = g
        for name, fn in plugin.effects.items():
            _unique(name, effects, "effect")
            effects[name] = fn
    GUARDS.update(guards)
    EFFECTS.update(effects)
    for plugin in fresh:
        CLOCK_EFFECTS.update(plugin.clock_effects)
        AFTER_COMMIT_HOOKS.extend(plugin.hooks)
        for step in plugin.setups:
            step()
        _INSTALLED.add(plugin.name)


def _unique(name: str, table: Mapping[str, object], kind: str) -> None:
    if name in table:
        raise ValueError(f"{kind} {name} declared twice")
