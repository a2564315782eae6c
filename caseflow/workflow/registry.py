"""All workflow definitions of the repository, loaded and validated once per process.

This module imports no domain code: the composition root (caseflow.bootstrap) installs the
packages' guards and effects, loads the definitions against those names and hands the result to
`use_registry`; everyone else asks `registry()`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from transitions import Machine

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.resources import rulesets_dir, workflows_dir
from caseflow.workflow.loader import load_shared, load_workflow
from caseflow.workflow.machine import build_machine
from caseflow.workflow.model import WorkflowDef
from caseflow.workflow.rulesets import RuleSet, load_rulesets


@dataclass(frozen=True)
class Registry:
    """Definitions, their machines and the rule sets they refer to."""

    workflows: dict[str, WorkflowDef]
    machines: dict[str, Machine]
    rulesets: dict[str, RuleSet]

    def workflow(self, key: str) -> WorkflowDef:
        """The definition called `key`."""
        try:
            return self.workflows[key]
        except KeyError:
            raise DefinitionError(f"未知的流程：{key}", f"unknown workflow {key}") from None

    def by_case_type(self, case_type: str) -> WorkflowDef:
        """The definition for a case type (one workflow per case type)."""
        for wf in self.workflows.values():
            if wf.case_type == case_type:
                return wf
        raise DefinitionError(f"未知的案件类型：{case_type}", f"unknown case type {case_type}")


def load_registry(
    folder: Path | None = None,
    *,
    guard_names: Collection[str],
    effect_names: Collection[str],
) -> Registry:
    """Load every `*.yaml` in `folder` (rule sets from its `rulesets/` subfolder, transitions
    shared by all from `shared/`); a workflow may name only the guards and effects given."""
    folder = folder or workflows_dir()
    rulesets = load_rulesets(rulesets_dir(folder))
    # A workflow may name only deadline rules and switches that every rule set defines.
    common_rules = set.intersection(*(set(rs.deadlines) for rs in rulesets.values()))
    common_switches = set.intersection(*(set(rs.params) for rs in rulesets.values()))
    shared = load_shared(folder / "shared")  # side actions every workflow has
    workflows: dict[str, WorkflowDef] = {}
    for path in sorted(folder.glob("*.yaml")):
        wf = load_workflow(
            path,
            guard_names=guard_names,
            rule_names=common_rules,
            effect_names=effect_names,
            switch_names=common_switches,
            shared=shared,
        )
        if wf.key in workflows:
            raise DefinitionError(f"流程键重复：{wf.key}", f"{path}:1: duplicate key {wf.key}")
        workflows[wf.key] = wf
    return Registry(workflows, {k: build_machine(w) for k, w in workflows.items()}, rulesets)


_current: Registry | None = None


def use_registry(reg: Registry) -> None:
    """Make `reg` the process's registry (the composition root does this once)."""
    global _current
    _current = reg


def registry() -> Registry:
    """The process's registry, built once by caseflow.bootstrap (never one machine per case)."""
    if _current is None:
        raise RuntimeError("no workflow registry: call caseflow.bootstrap.boot() first")
    return _current
