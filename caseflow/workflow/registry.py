"""All workflow definitions of the repository, loaded and validated once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from transitions import Machine

from caseflow import WORKFLOWS_DIR
from caseflow.casework import assessments as _assessments  # noqa: F401  (registers guards, effects)
from caseflow.engine.effects import EFFECTS
from caseflow.engine.guards import GUARDS
from caseflow.kernel.errors import DefinitionError
from caseflow.payments import hooks as _payment_hooks  # noqa: F401  (roll guards, effects)
from caseflow.reviews import effects as _reviews  # noqa: F401  (review schedule effects, guards)
from caseflow.workflow.loader import load_workflow
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


def load_registry(folder: Path | None = None) -> Registry:
    """Load every `*.yaml` in `folder` (rule sets from its `rulesets/` subfolder)."""
    folder = folder or WORKFLOWS_DIR
    rulesets = load_rulesets(folder / "rulesets")
    # A workflow may name only deadline rules that every rule set defines.
    common_rules = set.intersection(*(set(rs.deadlines) for rs in rulesets.values()))
    workflows: dict[str, WorkflowDef] = {}
    for path in sorted(folder.glob("*.yaml")):
        wf = load_workflow(path, guard_names=GUARDS, rule_names=common_rules, effect_names=EFFECTS)
        if wf.key in workflows:
            raise DefinitionError(f"流程键重复：{wf.key}", f"{path}:1: duplicate key {wf.key}")
        workflows[wf.key] = wf
    return Registry(workflows, {k: build_machine(w) for k, w in workflows.items()}, rulesets)


@cache
def registry() -> Registry:
    """The repository's registry, built once per process (never one machine per case)."""
    return load_registry()
