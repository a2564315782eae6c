"""Dated policy configuration: standards, limits, amounts and ceilings, loaded from YAML.

Every number the rules use lives here, with the date it takes effect; nothing numeric is a
literal in rule code. A `PolicyTable` holds the configs of one region and answers "which one
was in force on day X", so a case decided under the 2025 standard can always say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, NoReturn, get_args

import yaml

from caseflow.kernel.errors import CaseflowError, DefinitionError
from caseflow.kernel.money import format_yuan
from caseflow.kernel.yamlio import clean, line_of, load_with_lines
from caseflow.policy.facts import EXPENSE_KIND_ZH, IncomeSource

AmountMethod = Literal["gap", "class"]
TopUpRule = Literal["highest", "sum"]
CareLevel = Literal["self_care", "partial", "full"]

# The 特困 basic living standard is no less than 1.3 × the 低保 standard; a region may go higher but
# never lower, so this floor is a rule rather than local configuration. Its national source is
# 待核实 (not among the texts checked in research/law-notes.md; DOMAIN.md states the rule).
NATIONAL_TEKUN_MIN_RATIO = Decimal("1.3")

# Income categories not counted as household income (codes of caseflow.policy.facts). The dated
# configuration may change the list; these are the national defaults.
# 低保: 民发〔2021〕57号 第十三条（一）–（三）, and 民发〔2019〕62号 三(一) for the 事实无人抚养儿童
# subsidy. The basic pension is excluded "during the 十四五 period" (2021–2025): whether it stays
# excluded from 2026 is 待核实, so each dated configuration says so itself.
DIBAO_EXCLUDED_INCOME: tuple[str, ...] = (
    "preferential",
    "family_planning",
    "scholarship",
    "award",
    "assistance",
    "basic_pension",
    "child_subsidy",
)
# 特困 (无生活来源): 民发〔2021〕43号 第六条第二款, and 民发〔2019〕62号 三(一).
TEKUN_EXCLUDED_INCOME: tuple[str, ...] = (
    "basic_pension",
    "social_insurance",
    "preferential",
    "elderly_allowance",
    "child_subsidy",
)
# The order income categories are listed in (explanations and dumps never depend on set order):
# the order the facts declare them in.
_INCOME_ORDER: tuple[str, ...] = get_args(IncomeSource)


def ordered_income_codes(codes: Iterable[str]) -> list[str]:
    """Income category codes in their fixed display order."""
    wanted = set(codes)
    return [c for c in _INCOME_ORDER if c in wanted]


def ceil_fen(value: Decimal) -> int:
    """A Decimal amount of fen rounded up to whole fen."""
    return int(value.quantize(Decimal(1), rounding=ROUND_CEILING))


class PolicyError(CaseflowError):
    """Base class of rule-layer errors shown to staff."""


class PolicyConfigError(DefinitionError):
    """A policy YAML file is broken; the message names file:line and the field."""


class NoPolicyInForce(PolicyError):
    """No configuration is in force on the requested day."""


class TekunStandardBelowFloor(PolicyConfigError, PolicyError):
    """A configured 特困 basic living standard (or ratio) under the 1.3 × 低保 floor."""


@dataclass(frozen=True)
class PropertyLimits:
    """Property exclusions of the means test."""

    financial_months: int  # N: financial assets above N × monthly standard ⇒ ineligible
    financial_per_capita: bool  # True: the limit is N × standard × household size
    non_work_vehicle_excludes: bool
    employing_others_excludes: bool
    max_housing_units: int  # K: more dwellings than K ⇒ ineligible


@dataclass(frozen=True)
class ClassAmounts:
    """Monthly amount per covered person by class (class-amount method)."""

    a_fen: int
    b_fen: int
    c_fen: int

    def for_class(self, cls: str) -> int:
        """The per-person amount of class A, B or C."""
        return {"A": self.a_fen, "B": self.b_fen, "C": self.c_fen}[cls]


@dataclass(frozen=True)
class TopUps:
    """Monthly top-ups per covered person (分类施保 additions)."""

    severe_disability_fen: int
    serious_illness_fen: int
    elderly_fen: int
    elderly_age: int  # age ≥ this ⇒ elderly top-up
    minor_fen: int
    minor_age: int  # age < this ⇒ minor top-up
    rule: TopUpRule = "highest"  # "highest": one top-up per person (就高不重复); "sum": all apply


@dataclass(frozen=True)
class TekunRules:
    """特困 rules: ages, the ratio to the 低保 standard and monthly care allowances."""

    care_self_care_fen: int
    care_partial_fen: int
    care_full_fen: int
    elderly_age: int = 60  # 民发〔2021〕43号 第五条（一）
    minor_age: int = 16  # 第五条（二）
    ratio: Decimal = Decimal("1.3")
    # A basic living standard set by the region in fen (None: ratio × 低保 standard, rounded up).
    # Never below the floor: the loader refuses it (TekunStandardBelowFloor).
    basic_standard_fen: int | None = None
    excluded_income: frozenset[str] = frozenset(TEKUN_EXCLUDED_INCOME)
    # Provincial rule (e.g. 福建省): a minor aged 16+ still at school has no labour capacity.
    # Not in the national 第五条 (only its （四） lets a province add cases); off by default, and
    # whether 宁夏 has such a rule is 待核实.
    student_16_plus_no_labour: bool = False
    # 第二十四条: minors already supported keep it to this age, and beyond while still at school.
    minor_keep_age: int = 18

    def floor_fen(self, dibao_standard_fen: int) -> int:
        """The lowest basic living standard allowed: ratio × 低保 standard, rounded up."""
        return ceil_fen(self.ratio * Decimal(dibao_standard_fen))

    def basic_fen(self, dibao_standard_fen: int) -> int:
        """The monthly basic living standard: the configured one, else the floor."""
        floor = self.floor_fen(dibao_standard_fen)
        return floor if self.basic_standard_fen is None else self.basic_standard_fen

    def care_allowance_fen(self, level: CareLevel) -> int:
        """The monthly care allowance for a care level."""
        return {
            "self_care": self.care_self_care_fen,
            "partial": self.care_partial_fen,
            "full": self.care_full_fen,
        }[level]


@dataclass(frozen=True)
class TemporaryRules:
    """临时救助 rules: cap per cause, township ceiling and the repeat-cause window; the cap of
    the 先行救助 advance; the raise for households already in 低保/特困."""

    cap_multiples: Mapping[str, Decimal]  # cause → multiple of the monthly 低保 standard
    township_ceiling_fen: int
    repeat_window_days: int
    # 先行救助 (民发〔2018〕23号 二(二)): at most advance_months × the monthly 低保 standard × the
    # household's size, and at most advance_max_fen when set. The figures are example values
    # (待核实); no national figure was found for the advance.
    advance_months: Decimal = Decimal("1")
    advance_max_fen: int | None = None
    # A higher cap for households in 低保/特困, in percent (0 = none). No national basis was found
    # (research/law-notes.md §4a): 待核实, off by default.
    programme_household_raise_percent: int = 0


# 民发〔2021〕57号 第十三条, last paragraph (verified, workflows/rulesets/sources.md §2): the
# national text allows the deduction "按规定" and names no items or amounts: none by default.
DEDUCTION_BASIS = "民发〔2021〕57号 第十三条"


@dataclass(frozen=True)
class Deductions:
    """Spending deducted from household income before the per-capita comparison: which kinds
    (codes of caseflow.policy.facts.EXPENSE_KIND_ZH) and the household's monthly cap."""

    kinds: frozenset[str] = frozenset()
    monthly_cap_fen: int | None = None  # the household's total per month; None = no cap


@dataclass(frozen=True)
class OrphanStandard:
    """孤儿 / 事实无人抚养儿童 basic-living allowance per child per month, separate for 集中养育 and
    社会散居 (事实无人抚养儿童 are paid by the local 孤儿 standard per 民发〔2019〕62号, clause
    待核实). `basis` is the district's document (or 待核实), `source` where the figures come
    from."""

    centralised_fen: int
    dispersed_fen: int
    basis: str
    source: str

    def monthly_fen(self, setting: str) -> int:
        """The allowance of a child in `setting` (centralised | dispersed)."""
        if setting == "centralised":
            return self.centralised_fen
        if setting == "dispersed":
            return self.dispersed_fen
        raise ValueError(f"未知的养育方式：{setting}")


@dataclass(frozen=True)
class PolicyConfig:
    """The configuration of one region from `effective_from` until the next one starts."""

    region: str
    effective_from: date
    is_example: bool  # seeded values an admin has not yet confirmed
    label_zh: str
    dibao_standard_fen: int  # monthly 低保 standard per person
    amount_method: AmountMethod
    registry_line_fen: int  # poverty registry line, per capita per month (ledger comparison C5)
    property: PropertyLimits
    class_amounts: ClassAmounts
    top_ups: TopUps
    tekun: TekunRules
    temporary: TemporaryRules
    # Income categories not counted in the 低保 means test (民发〔2021〕57号 第十三条).
    excluded_income: frozenset[str] = frozenset(DIBAO_EXCLUDED_INCOME)
    # 低保边缘家庭: per-capita income below edge_multiple × the standard (57号 第八条第二款).
    edge_multiple: Decimal = Decimal("1.5")
    # 渐退期 at most this many months (民发〔2022〕83号 一(三) "原则上不超过6个月").
    gradual_exit_max_months: int = 6
    # Deductible spending (57号 第十三条 last paragraph); none unless the region configures it.
    deductions: Deductions = Deductions()
    # The 孤儿 allowance from this date; None: the one of the latest earlier config stays in force
    # (a new 低保 standard does not have to repeat it). See PolicyTable.orphan_standard.
    orphans: OrphanStandard | None = None

    def describe_zh(self) -> str:
        """E.g. "640502 2026-01-01 起施行的标准（示例数值，待管理员确认）"."""
        note = "（示例数值，待管理员确认）" if self.is_example else ""
        return f"{self.label_zh}（{self.region}，{self.effective_from.isoformat()} 起施行）{note}"


@dataclass(frozen=True)
class PolicyTable:
    """All dated configurations of one region."""

    region: str
    configs: tuple[PolicyConfig, ...]

    def __post_init__(self) -> None:
        dates = [c.effective_from for c in self.configs]
        if len(set(dates)) != len(dates):
            raise PolicyConfigError(f"{self.region} 有两份同日起施行的配置")
        for c in self.configs:
            if c.region != self.region:
                raise PolicyConfigError(f"配置地区 {c.region} 与表的地区 {self.region} 不一致")
        # Keep them sorted so in_force and dumps are deterministic.
        object.__setattr__(self, "configs", tuple(sorted(self.configs, key=_effective)))

    def in_force(self, on: date) -> PolicyConfig:
        """The configuration in force on `on` (the latest one that started on or before it)."""
        candidates = [c for c in self.configs if c.effective_from <= on]
        if not candidates:
            earliest = self.configs[0].effective_from.isoformat() if self.configs else "无"
            raise NoPolicyInForce(
                f"{on.isoformat()} 没有施行中的低保标准配置（地区 {self.region}，"
                f"最早一份自 {earliest} 起施行）"
            )
        return candidates[-1]

    def orphan_standard(self, on: date) -> tuple[PolicyConfig, OrphanStandard]:
        """The 孤儿 allowance in force on `on` with the configuration that set it: the latest one
        started on or before `on` that has an `orphans` section."""
        for config in reversed(self.configs):
            if config.effective_from <= on and config.orphans is not None:
                return config, config.orphans
        raise NoPolicyInForce(
            f"{on.isoformat()} 没有施行中的孤儿基本生活保障标准（地区 {self.region}）："
            "请管理员在救助标准配置中录入 orphans 一节"
        )

    def with_config(self, config: PolicyConfig) -> PolicyTable:
        """A new table with `config` added; the old table and its decisions stay unchanged."""
        return PolicyTable(self.region, (*self.configs, config))


def _effective(config: PolicyConfig) -> date:
    return config.effective_from


# --------------------------------------------------------------------------- YAML loading


class _Reader:
    """Reads one mapping of the YAML file; every error names file:line and the dotted field."""

    def __init__(self, source: str, raw: Any, where: str) -> None:
        self.source = source
        self.where = where
        if not isinstance(raw, dict):
            self.fail(None, f"必须是键值映射，实际为 {raw!r}", line_of(raw))
        self.raw: dict[str, Any] = raw
        self.used: set[str] = set()

    def fail(
        self,
        key: str | None,
        message: str,
        line: int | None = None,
        error: type[PolicyConfigError] = PolicyConfigError,
    ) -> NoReturn:
        path = f"{self.where}.{key}" if key and self.where else (key or self.where or "（根）")
        at = line if line is not None else line_of(getattr(self, "raw", None), key)
        raise error(
            f"{self.source}:{at}: 配置项 {path}：{message}",
            f"{self.source}:{at}: field {path}: {message}",
        )

    def _get(self, key: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if default is ...:
                self.fail(key, "缺少此项", line_of(self.raw))
            return default
        return self.raw[key]

    def fen(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(key, f"必须是不小于 0 的整数（单位：分），实际为 {value!r}")
        return int(value)

    def optional_fen(self, key: str) -> int | None:
        if self._get(key, None) is None:
            return None
        return self.fen(key)

    def codes(self, key: str, allowed: Iterable[str], default: Iterable[str]) -> frozenset[str]:
        value = self._get(key, None)
        if value is None:
            return frozenset(default)
        options = tuple(allowed)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"必须是列表（可选：{' / '.join(options)}），实际为 {value!r}")
        unknown = [v for v in value if v not in options]
        if unknown:
            self.fail(key, f"未知的收入类别：{'、'.join(unknown)}（可选：{' / '.join(options)}）")
        return frozenset(value)

    def count(self, key: str, minimum: int = 0, default: Any = ...) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"必须是不小于 {minimum} 的整数，实际为 {value!r}")
        return int(value)

    def flag(self, key: str, default: Any = ...) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"必须是 true 或 false，实际为 {value!r}")
        return bool(value)

    def text(self, key: str, default: Any = ...) -> str:
        value = self._get(key, default)
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            self.fail(key, f"必须是非空文字，实际为 {value!r}")
        return str(value)

    def choice(self, key: str, allowed: Iterable[str], default: Any = ...) -> str:
        value = self._get(key, default)
        options = tuple(allowed)
        if value not in options:
            self.fail(key, f"必须是 {' / '.join(options)} 之一，实际为 {value!r}")
        return str(value)

    def day(self, key: str) -> date:
        value = self._get(key)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(key, f"必须是日期 YYYY-MM-DD，实际为 {value!r}")

    def decimal(self, key: str, minimum: Decimal = Decimal(0), default: Any = ...) -> Decimal:
        value = self._get(key, default)
        # Ratios may be written as 1.3 (YAML float) or "1.3"; going through str() keeps the
        # decimal digits the admin typed instead of the float's binary expansion.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(key, f"必须是数值，实际为 {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(key, f"必须是数值，实际为 {value!r}")
        if not number.is_finite() or number < minimum:
            self.fail(key, f"必须是不小于 {minimum} 的数值，实际为 {value!r}")
        return number

    def child(self, key: str) -> _Reader:
        return _Reader(self.source, self._get(key), f"{self.where}.{key}" if self.where else key)

    def finish(self) -> None:
        # Unknown keys are almost always typos of a real key; silently ignoring them would let a
        # mistyped limit fall back to nothing.
        for key in clean(self.raw):
            if key not in self.used:
                self.fail(key, "未知配置项（是否拼写错误？）")


def _read_config(reader: _Reader, region: str) -> PolicyConfig:
    prop = reader.child("property")
    property_limits = PropertyLimits(
        financial_months=prop.count("financial_months", minimum=1),
        financial_per_capita=prop.flag("financial_per_capita"),
        non_work_vehicle_excludes=prop.flag("non_work_vehicle_excludes"),
        employing_others_excludes=prop.flag("employing_others_excludes"),
        max_housing_units=prop.count("max_housing_units"),
    )
    prop.finish()
    cls = reader.child("class_amounts")
    class_amounts = ClassAmounts(cls.fen("a_fen"), cls.fen("b_fen"), cls.fen("c_fen"))
    cls.finish()
    top = reader.child("top_ups")
    top_ups = TopUps(
        severe_disability_fen=top.fen("severe_disability_fen"),
        serious_illness_fen=top.fen("serious_illness_fen"),
        elderly_fen=top.fen("elderly_fen"),
        elderly_age=top.count("elderly_age", minimum=1),
        minor_fen=top.fen("minor_fen"),
        minor_age=top.count("minor_age", minimum=1),
        rule=top.choice("rule", ("highest", "sum"), "highest"),  # type: ignore[arg-type]
    )
    top.finish()
    tk = reader.child("tekun")
    ratio = tk.decimal("ratio", default="1.3")
    if ratio < NATIONAL_TEKUN_MIN_RATIO:
        tk.fail(
            "ratio",
            f"特困人员基本生活标准不得低于低保标准的 {NATIONAL_TEKUN_MIN_RATIO} 倍，实际为 {ratio}",
            error=TekunStandardBelowFloor,
        )
    tekun = TekunRules(
        care_self_care_fen=tk.fen("care_self_care_fen"),
        care_partial_fen=tk.fen("care_partial_fen"),
        care_full_fen=tk.fen("care_full_fen"),
        elderly_age=tk.count("elderly_age", minimum=1, default=60),
        minor_age=tk.count("minor_age", minimum=1, default=16),
        ratio=ratio,
        basic_standard_fen=tk.optional_fen("basic_standard_fen"),
        excluded_income=tk.codes("excluded_income", _INCOME_ORDER, TEKUN_EXCLUDED_INCOME),
        student_16_plus_no_labour=tk.flag("student_16_plus_no_labour", default=False),
        minor_keep_age=tk.count("minor_keep_age", minimum=1, default=18),
    )
    tk.finish()
    tmp = reader.child("temporary")
    caps = tmp.child("cap_multiples")
    multiples = {str(cause): caps.decimal(str(cause)) for cause in clean(caps.raw)}
    if not multiples:
        tmp.fail("cap_multiples", "至少要配置一种救助事由")
    caps.finish()
    temporary = TemporaryRules(
        cap_multiples=multiples,
        township_ceiling_fen=tmp.fen("township_ceiling_fen"),
        repeat_window_days=tmp.count("repeat_window_days", minimum=1),
        advance_months=tmp.decimal("advance_months", default="1"),
        advance_max_fen=tmp.optional_fen("advance_max_fen"),
        programme_household_raise_percent=tmp.count("programme_household_raise_percent", default=0),
    )
    tmp.finish()
    config = PolicyConfig(
        region=region,
        effective_from=reader.day("effective_from"),
        is_example=reader.flag("is_example"),
        label_zh=reader.text("label"),
        dibao_standard_fen=reader.fen("dibao_standard_fen"),
        amount_method=reader.choice("amount_method", ("gap", "class")),  # type: ignore[arg-type]
        registry_line_fen=reader.fen("registry_line_fen"),
        property=property_limits,
        class_amounts=class_amounts,
        top_ups=top_ups,
        tekun=tekun,
        temporary=temporary,
        excluded_income=reader.codes("excluded_income", _INCOME_ORDER, DIBAO_EXCLUDED_INCOME),
        edge_multiple=reader.decimal("edge_multiple", minimum=Decimal(1), default="1.5"),
        gradual_exit_max_months=reader.count("gradual_exit_max_months", default=6),
        deductions=_read_deductions(reader),
        orphans=_read_orphans(reader),
    )
    if config.dibao_standard_fen == 0:
        reader.fail("dibao_standard_fen", "低保标准不能为 0")
    floor = tekun.floor_fen(config.dibao_standard_fen)
    if tekun.basic_standard_fen is not None and tekun.basic_standard_fen < floor:
        tk.fail(
            "basic_standard_fen",
            f"特困人员基本生活标准 {_yuan(tekun.basic_standard_fen)} 低于下限 {_yuan(floor)}"
            f"（{tekun.ratio} × 低保标准 {_yuan(config.dibao_standard_fen)}，向上取整到分）",
            error=TekunStandardBelowFloor,
        )
    reader.finish()
    return config


def _read_deductions(reader: _Reader) -> Deductions:
    if reader._get("deductions", None) is None:
        return Deductions()
    ded = reader.child("deductions")
    kinds = ded._get("kinds", [])
    options = tuple(EXPENSE_KIND_ZH)
    if not isinstance(kinds, list) or any(k not in options for k in kinds):
        ded.fail("kinds", f"必须是支出类别列表（可选：{' / '.join(options)}），实际为 {kinds!r}")
    result = Deductions(frozenset(kinds), ded.optional_fen("monthly_cap_fen"))
    ded.finish()
    return result


def _read_orphans(reader: _Reader) -> OrphanStandard | None:
    if reader._get("orphans", None) is None:
        return None
    orp = reader.child("orphans")
    standard = OrphanStandard(
        centralised_fen=orp.fen("centralised_fen"),
        dispersed_fen=orp.fen("dispersed_fen"),
        basis=orp.text("basis"),
        source=orp.text("source"),
    )
    for key in ("centralised_fen", "dispersed_fen"):
        if getattr(standard, key) == 0:
            orp.fail(key, "孤儿基本生活保障标准不能为 0")
    orp.finish()
    return standard


def _yuan(fen: int) -> str:
    return f"{format_yuan(fen)} 元"


def parse_policy(raw: Any, source: str = "<policy>") -> PolicyTable:
    """Build a PolicyTable from parsed YAML data, validating every field."""
    top = _Reader(source, raw, "")
    region = top.text("region")
    top.text("region_name", default=region)
    items = top._get("configs")
    if not isinstance(items, list) or not items:
        top.fail("configs", "必须是至少包含一份配置的列表")
    configs = [
        _read_config(_Reader(source, item, f"configs[{i}]"), region) for i, item in enumerate(items)
    ]
    top.finish()
    dates = [c.effective_from for c in configs]
    for i, day in enumerate(dates):
        if day in dates[:i]:
            top.fail(f"configs[{i}].effective_from", f"{day.isoformat()} 重复", line_of(items[i]))
    return PolicyTable(region, tuple(configs))


def load_policy_yaml(path: Path | str) -> PolicyTable:
    """Load and validate a policy YAML file (see seed/policy/640502-example.yaml)."""
    path = Path(path)
    try:
        raw = load_with_lines(path)
    except PolicyConfigError:
        raise
    except (yaml.YAMLError, DefinitionError, ValueError) as exc:
        # ValueError: PyYAML builds dates itself and fails on e.g. 2025-13-01 without a line.
        raise PolicyConfigError(f"{path.name}: YAML 格式错误：{exc}", str(exc)) from exc
    return parse_policy(raw, path.name)


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def config_to_dict(config: PolicyConfig) -> dict[str, Any]:
    """The YAML-ready mapping of one config (Decimals as strings, money in fen)."""
    p, c, t, k, m = (
        config.property,
        config.class_amounts,
        config.top_ups,
        config.tekun,
        config.temporary,
    )
    return {
        "effective_from": config.effective_from,
        "is_example": config.is_example,
        "label": config.label_zh,
        "dibao_standard_fen": config.dibao_standard_fen,
        "amount_method": config.amount_method,
        "registry_line_fen": config.registry_line_fen,
        "property": {
            "financial_months": p.financial_months,
            "financial_per_capita": p.financial_per_capita,
            "non_work_vehicle_excludes": p.non_work_vehicle_excludes,
            "employing_others_excludes": p.employing_others_excludes,
            "max_housing_units": p.max_housing_units,
        },
        "class_amounts": {"a_fen": c.a_fen, "b_fen": c.b_fen, "c_fen": c.c_fen},
        "top_ups": {
            "severe_disability_fen": t.severe_disability_fen,
            "serious_illness_fen": t.serious_illness_fen,
            "elderly_fen": t.elderly_fen,
            "elderly_age": t.elderly_age,
            "minor_fen": t.minor_fen,
            "minor_age": t.minor_age,
            "rule": t.rule,
        },
        "tekun": {
            "ratio": _decimal_text(k.ratio),
            "elderly_age": k.elderly_age,
            "minor_age": k.minor_age,
            "care_self_care_fen": k.care_self_care_fen,
            "care_partial_fen": k.care_partial_fen,
            "care_full_fen": k.care_full_fen,
            **_optional("basic_standard_fen", k.basic_standard_fen),
            "excluded_income": ordered_income_codes(k.excluded_income),
            "student_16_plus_no_labour": k.student_16_plus_no_labour,
            "minor_keep_age": k.minor_keep_age,
        },
        "temporary": {
            "cap_multiples": {cause: _decimal_text(v) for cause, v in m.cap_multiples.items()},
            "township_ceiling_fen": m.township_ceiling_fen,
            "repeat_window_days": m.repeat_window_days,
            "advance_months": _decimal_text(m.advance_months),
            **_optional("advance_max_fen", m.advance_max_fen),
            "programme_household_raise_percent": m.programme_household_raise_percent,
        },
        "excluded_income": ordered_income_codes(config.excluded_income),
        "edge_multiple": _decimal_text(config.edge_multiple),
        "gradual_exit_max_months": config.gradual_exit_max_months,
        **_deductions_dict(config.deductions),
        **_orphans_dict(config.orphans),
    }


def _orphans_dict(standard: OrphanStandard | None) -> dict[str, Any]:
    if standard is None:
        return {}
    return {
        "orphans": {
            "centralised_fen": standard.centralised_fen,
            "dispersed_fen": standard.dispersed_fen,
            "basis": standard.basis,
            "source": standard.source,
        }
    }


def _deductions_dict(deductions: Deductions) -> dict[str, Any]:
    if not deductions.kinds:
        return {}
    kinds = [k for k in EXPENSE_KIND_ZH if k in deductions.kinds]
    return {
        "deductions": {"kinds": kinds, **_optional("monthly_cap_fen", deductions.monthly_cap_fen)}
    }


def _optional(key: str, value: int | None) -> dict[str, int]:
    return {} if value is None else {key: value}


def dump_policy_yaml(table: PolicyTable, region_name: str | None = None) -> str:
    """Render a PolicyTable as YAML that `load_policy_yaml` reads back to an equal table."""
    data: dict[str, Any] = {"region": table.region}
    if region_name:
        data["region_name"] = region_name
    data["configs"] = [config_to_dict(c) for c in table.configs]
    header = ""
    if any(c.is_example for c in table.configs):
        header = "# 含示例数值（is_example: true），须经管理员确认后方可作为正式标准。\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
