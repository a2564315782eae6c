"""Dated rule sets: deadline rules and switches by name (national-2021 default, district overrides).

A case stores the key of the rule set it was opened under and keeps it for life, so a case opened
under the 2012 rules is still judged by them after the 2021 rules arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from caseflow import WORKFLOWS_DIR
from caseflow.errors import DefinitionError
from caseflow.yamlio import clean, line_of, load_with_lines

UNITS = frozenset({"working_days", "calendar_days", "hours"})
UNIT_LABELS = {"working_days": "个工作日", "calendar_days": "个自然日", "hours": "小时"}


@dataclass(frozen=True)
class DeadlineRule:
    """A named limit such as `district_decision`: 10 working days."""

    name: str
    unit: str
    amount: int
    label: str
    extendable_to: int | None = None

    def describe_zh(self) -> str:
        """E.g. "区级审核确认：10 个工作日"."""
        return f"{self.label}：{self.amount} {UNIT_LABELS[self.unit]}"


@dataclass(frozen=True)
class RuleSet:
    """One dated rule set after inheritance is resolved."""

    key: str
    label: str
    effective_from: date
    effective_until: date | None
    region: str  # "" = national; otherwise an org code prefix such as 640502
    deadlines: dict[str, DeadlineRule]
    params: dict[str, Any]

    def rule(self, name: str) -> DeadlineRule:
        """The deadline rule called `name` (the loader guarantees every referenced name exists)."""
        return self.deadlines[name]

    def param(self, name: str) -> Any:
        """A switch or number of this rule set, e.g. publicity_counts_toward_total."""
        return self.params[name]

    def in_force_on(self, day: date) -> bool:
        """True if a case opened on `day` falls under this rule set's dates."""
        return self.effective_from <= day and (
            self.effective_until is None or day < self.effective_until
        )


def _parse(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    where = f"{path.name}:{line_of(raw)}"
    for key in ("key", "label", "effective_from"):
        if key not in raw:
            raise DefinitionError(f"{where}: 缺少字段 {key}", f"{where}: missing field {key}")
    deadlines: dict[str, DeadlineRule] = {}
    for name, spec in clean(raw.get("deadlines") or {}).items():
        at = f"{path.name}:{line_of(raw['deadlines'], name)}"
        if not isinstance(spec, dict) or spec.get("unit") not in UNITS:
            raise DefinitionError(f"{at}: 期限 {name} 的单位无效", f"{at}: bad unit for {name}")
        amount = spec.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            raise DefinitionError(f"{at}: 期限 {name} 的数值无效", f"{at}: bad amount for {name}")
        deadlines[name] = DeadlineRule(
            name, spec["unit"], amount, str(spec.get("label", name)), spec.get("extendable_to")
        )
    return {
        "key": raw["key"],
        "label": raw["label"],
        "extends": raw.get("extends"),
        "effective_from": raw["effective_from"],
        "effective_until": raw.get("effective_until"),
        "region": str(raw.get("region", "")),
        "deadlines": deadlines,
        "params": clean(raw.get("params") or {}),
    }


def load_rulesets(folder: Path | None = None) -> dict[str, RuleSet]:
    """Load every rule set in `folder` and resolve `extends` (child entries override the parent)."""
    folder = folder or WORKFLOWS_DIR / "rulesets"
    parsed = {}
    for path in sorted(folder.glob("*.yaml")):
        item = _parse(path, load_with_lines(path))
        parsed[item["key"]] = item
    resolved: dict[str, RuleSet] = {}

    def resolve(key: str, seen: tuple[str, ...] = ()) -> RuleSet:
        if key in resolved:
            return resolved[key]
        if key in seen or key not in parsed:
            raise DefinitionError(f"规则集继承错误：{key}", f"bad extends chain at {key}")
        item = parsed[key]
        deadlines, params = {}, {}
        if item["extends"]:
            parent = resolve(item["extends"], (*seen, key))
            deadlines, params = dict(parent.deadlines), dict(parent.params)
        deadlines.update(item["deadlines"])
        params.update(item["params"])
        resolved[key] = RuleSet(
            key=key,
            label=item["label"],
            effective_from=item["effective_from"],
            effective_until=item["effective_until"],
            region=item["region"],
            deadlines=deadlines,
            params=params,
        )
        return resolved[key]

    for key in parsed:
        resolve(key)
    return resolved


@cache
def default_rulesets() -> dict[str, RuleSet]:
    """The repository's rule sets, loaded once per process."""
    return load_rulesets()


def select_ruleset(rulesets: dict[str, RuleSet], org_code: str, on: date) -> RuleSet:
    """The rule set for a case opened on `on` in unit `org_code`: the most specific region wins,
    then the latest effective date."""
    candidates = [
        rs for rs in rulesets.values() if rs.in_force_on(on) and org_code.startswith(rs.region)
    ]
    if not candidates:
        raise DefinitionError(f"{on} 没有适用的规则集", f"no rule set in force on {on}")
    return max(candidates, key=lambda rs: (len(rs.region), rs.effective_from))
