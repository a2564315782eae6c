"""Dated rule sets: deadline rules and switches by name (national-2021 default, district overrides).

A case stores the key of the rule set it was opened under and keeps it for life, so a case opened
under the 2012 rules is still judged by them after the 2021 rules arrive.

Every limit says where it comes from: a deadline carries `source:` (document number and article,
e.g. "民发〔2021〕57号 第十九条"), and a `sources:` mapping beside `params:` does the same for the
switches, numbers and `review_months`. A value no checked text supports says so: its source starts
with 待核实 and names what is missing, instead of passing for law.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.resources import rulesets_dir
from caseflow.kernel.yamlio import clean, line_of, load_with_lines

UNITS = frozenset({"working_days", "calendar_days", "hours"})
# A source that starts with this marks a value no checked text supports (an example or a guess).
UNVERIFIED = "待核实"
# The key of `sources:` that cites the review intervals (`review_months`).
REVIEW_MONTHS_KEY = "review_months"
UNIT_LABELS = {"working_days": "个工作日", "calendar_days": "个自然日", "hours": "小时"}
# Periodic review (复核) classes: 分类施保 A/B/C of 低保, and 特困供养.
REVIEW_CLASSES = ("A", "B", "C", "tekun")


@dataclass(frozen=True)
class DeadlineRule:
    """A named limit such as `district_decision`: 10 working days."""

    name: str
    unit: str
    amount: int
    label: str
    extendable_to: int | None = None
    # Where the limit comes from: "民发〔2021〕57号 第二十条", or "待核实（…what is missing…）".
    source: str = ""

    def describe_zh(self) -> str:
        """E.g. "区级审核确认：10 个工作日"."""
        return f"{self.label}：{self.amount} {UNIT_LABELS[self.unit]}"

    @property
    def unverified(self) -> bool:
        """True when no checked text supports the limit (its source is 待核实)."""
        return is_unverified(self.source)


def is_unverified(source: str | None) -> bool:
    """True for a missing source or one marked 待核实."""
    return not source or source.startswith(UNVERIFIED)


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
    # Months between periodic reviews by class (key `review_months`), e.g. {"A": 12, "B": 6}.
    review_months: dict[str, int] = field(default_factory=dict)
    # Where each param (and `review_months`) comes from, by name; see the module docstring.
    param_sources: dict[str, str] = field(default_factory=dict)

    def rule(self, name: str) -> DeadlineRule:
        """The deadline rule called `name` (the loader guarantees every referenced name exists)."""
        return self.deadlines[name]

    def param(self, name: str) -> Any:
        """A switch or number of this rule set, e.g. publicity_counts_toward_total."""
        return self.params[name]

    def source_of(self, name: str) -> str:
        """The source of deadline or param `name` ("" when none is given)."""
        if name in self.deadlines:
            return self.deadlines[name].source
        return self.param_sources.get(name, "")

    def cited(self) -> list[tuple[str, str]]:
        """(name, source) of every deadline, param and `review_months`, deadlines first."""
        names = [*self.deadlines, *self.params]
        if self.review_months:
            names.append(REVIEW_MONTHS_KEY)
        return [(name, self.source_of(name)) for name in names]

    def unverified(self) -> list[str]:
        """Names of the rules whose source is 待核实 (or missing)."""
        return [name for name, source in self.cited() if is_unverified(source)]

    def review_interval(self, review_class: str) -> int:
        """Months between periodic reviews for `review_class` (A, B, C or tekun)."""
        try:
            return self.review_months[review_class]
        except KeyError:
            raise DefinitionError(
                f"规则集 {self.key} 未配置类别 {review_class} 的复核间隔（review_months）",
                f"rule set {self.key}: review_months has no entry for {review_class}",
            ) from None

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
        source = spec.get("source")
        if not isinstance(source, str) or not source.strip():
            raise DefinitionError(
                f"{at}: 期限 {name} 缺少出处（source：文号与条款，或 待核实（原因））",
                f"{at}: deadline {name} has no source (document and article, or 待核实)",
            )
        deadlines[name] = DeadlineRule(
            name,
            spec["unit"],
            amount,
            str(spec.get("label", name)),
            spec.get("extendable_to"),
            source.strip(),
        )
    return {
        "sources": _parse_sources(path, raw),
        "review_months": _parse_review_months(path, raw),
        "key": raw["key"],
        "label": raw["label"],
        "extends": raw.get("extends"),
        "effective_from": raw["effective_from"],
        "effective_until": raw.get("effective_until"),
        "region": str(raw.get("region", "")),
        "deadlines": deadlines,
        "params": clean(raw.get("params") or {}),
    }


def _parse_sources(path: Path, raw: dict[str, Any]) -> dict[str, str]:
    """`sources: {param: "文号 条款"}`: each entry names a param of the same file (or
    review_months) and is a non-empty text; errors name the file, line and key."""
    if "sources" not in raw:
        return {}
    spec = raw["sources"]
    where = f"{path.name}:{line_of(raw, 'sources')}"
    if not isinstance(spec, dict):
        raise DefinitionError(
            f"{where}: sources 应为 参数名: 出处 的映射",
            f"{where}: sources must map name to source",
        )
    known = set(clean(raw.get("params") or {})) | {REVIEW_MONTHS_KEY}
    sources: dict[str, str] = {}
    for name, value in clean(spec).items():
        at = f"{path.name}:{line_of(spec, name)}"
        if name not in known:
            raise DefinitionError(
                f"{at}: sources.{name}: 本文件的 params 中没有此项",
                f"{at}: sources.{name}: no such param in this file",
            )
        if not isinstance(value, str) or not value.strip():
            raise DefinitionError(
                f"{at}: sources.{name}: 出处应为非空文字", f"{at}: sources.{name}: empty source"
            )
        sources[str(name)] = value.strip()
    return sources


def _parse_review_months(path: Path, raw: dict[str, Any]) -> dict[str, int]:
    """`review_months: {A: 12, B: 6, C: 3, tekun: 12}`; every error names the file, line and key."""
    if "review_months" not in raw:
        return {}
    spec = raw["review_months"]
    where = f"{path.name}:{line_of(raw, 'review_months')}"
    if not isinstance(spec, dict):
        raise DefinitionError(
            f"{where}: review_months 应为 类别: 月数 的映射",
            f"{where}: review_months must map class to months",
        )
    months: dict[str, int] = {}
    for name, value in clean(spec).items():
        at = f"{path.name}:{line_of(spec, name)}"
        if name not in REVIEW_CLASSES:
            raise DefinitionError(
                f"{at}: review_months.{name}: 未知的复核类别（可用：{'、'.join(REVIEW_CLASSES)}）",
                f"{at}: review_months.{name}: unknown review class",
            )
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 60:
            raise DefinitionError(
                f"{at}: review_months.{name}: 复核间隔应为 1–60 之间的整数月数",
                f"{at}: review_months.{name}: months must be an integer 1-60",
            )
        months[str(name)] = value
    return months


def load_rulesets(folder: Path | None = None) -> dict[str, RuleSet]:
    """Load every rule set in `folder` and resolve `extends` (child entries override the parent)."""
    folder = folder or rulesets_dir()
    parsed = {}
    for path in sorted(folder.glob("*.yaml")):
        item = _parse(path, load_with_lines(path))
        parsed[item["key"]] = item
    if not parsed:  # a wrong folder: say so, not a TypeError from an empty intersection
        where = f"规则集目录中没有任何规则集（*.yaml）：{folder}"
        raise DefinitionError(where, f"{where} / no rule sets in {folder}")
    resolved: dict[str, RuleSet] = {}

    def resolve(key: str, seen: tuple[str, ...] = ()) -> RuleSet:
        if key in resolved:
            return resolved[key]
        if key in seen or key not in parsed:
            raise DefinitionError(f"规则集继承错误：{key}", f"bad extends chain at {key}")
        item = parsed[key]
        deadlines, params, review_months, sources = {}, {}, {}, {}
        if item["extends"]:
            parent = resolve(item["extends"], (*seen, key))
            deadlines, params = dict(parent.deadlines), dict(parent.params)
            review_months = dict(parent.review_months)
            sources = dict(parent.param_sources)
        deadlines.update(item["deadlines"])
        params.update(item["params"])
        review_months.update(item["review_months"])
        # A value overridden without its own source would keep the parent's, which cites the
        # parent's value: drop it, so the override counts as uncited until it says where from.
        for name in [*item["params"], *([REVIEW_MONTHS_KEY] if item["review_months"] else [])]:
            sources.pop(name, None)
        sources.update(item["sources"])
        resolved[key] = RuleSet(
            key=key,
            label=item["label"],
            effective_from=item["effective_from"],
            effective_until=item["effective_until"],
            region=item["region"],
            deadlines=deadlines,
            params=params,
            review_months=review_months,
            param_sources=sources,
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
