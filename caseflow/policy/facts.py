"""Input facts for the rule layer: plain frozen values, independent of the database.

The engine copies what investigators recorded into these objects; the rules never see ORM rows, so
they can be tested (and re-run for an old case) without a database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal

from caseflow.kernel.timeutil import full_years

LabourCapacity = Literal["full", "partial", "none"]
Health = Literal["healthy", "chronic", "serious_illness"]
# Income categories: the five ordinary ones, then those the rules leave out of household income.
IncomeSource = Literal[
    "wages",
    "business",
    "transfer",
    "property",
    "other",
    "preferential",
    "family_planning",
    "scholarship",
    "award",
    "assistance",
    "basic_pension",
    "social_insurance",
    "elderly_allowance",
    "child_subsidy",
]
AssetKind = Literal["deposit", "financial", "vehicle", "work_vehicle", "housing", "business"]
DisabilityType = Literal[
    "intellectual", "mental", "physical", "visual", "hearing", "speech", "multiple"
]

LABOUR_VALUES: frozenset[str] = frozenset({"full", "partial", "none"})
HEALTH_VALUES: frozenset[str] = frozenset({"healthy", "chronic", "serious_illness"})
ASSET_KINDS: frozenset[str] = frozenset(
    {"deposit", "financial", "vehicle", "work_vehicle", "housing", "business"}
)

INCOME_SOURCE_ZH: dict[str, str] = {
    "wages": "工资性收入",
    "business": "经营性收入",
    "transfer": "转移性收入",
    "property": "财产性收入",
    "other": "其他收入",
    # Categories that the rules name as not counted (which ones apply is dated configuration:
    # PolicyConfig.excluded_income for 低保, TekunRules.excluded_income for 特困).
    "preferential": "优待抚恤金",
    "family_planning": "计划生育奖励与扶助金",
    "scholarship": "奖学金",
    "award": "见义勇为等奖励性补助",
    "assistance": "政府发放的社会救助款物",
    "basic_pension": "城乡居民基本养老保险基础养老金",
    "social_insurance": "基本医疗保险等社会保险待遇",
    "elderly_allowance": "高龄津贴",
    "child_subsidy": "事实无人抚养儿童基本生活补贴",
}
INCOME_SOURCES: frozenset[str] = frozenset(INCOME_SOURCE_ZH)
# Income from work: what lifts a household out of 低保 "through work" (渐退期, 57号 第三十三条).
WORK_INCOME_SOURCES: frozenset[str] = frozenset({"wages", "business"})
ASSET_KIND_ZH: dict[str, str] = {
    "deposit": "存款",
    "financial": "其他金融资产",
    "vehicle": "非生产用机动车辆",
    "work_vehicle": "生产经营用车辆",
    "housing": "住房",
    "business": "经营实体",
}
# Spending the district's rules may deduct from household income (民发〔2021〕57号 第十三条,
# last paragraph: "因残疾、患重病等增加的刚性支出、必要的就业成本等…可按规定适当扣减"); which
# kinds a region deducts, and up to how much, is dated configuration (PolicyConfig.deductions).
EXPENSE_KIND_ZH: dict[str, str] = {
    "medical": "因病医疗刚性支出",
    "disability": "因残康复护理刚性支出",
    "education": "因学教育刚性支出",
    "employment": "必要的就业成本",
}
EXPENSE_KINDS: frozenset[str] = frozenset(EXPENSE_KIND_ZH)
LABOUR_ZH: dict[str, str] = {"full": "有劳动能力", "partial": "部分劳动能力", "none": "无劳动能力"}
HEALTH_ZH: dict[str, str] = {"healthy": "健康", "chronic": "慢性病", "serious_illness": "大病"}
# Disability types of the 残疾人证 (GB/T 26341), stored as codes.
DISABILITY_TYPE_ZH: dict[str, str] = {
    "intellectual": "智力",
    "mental": "精神",
    "physical": "肢体",
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "multiple": "多重",
}
DISABILITY_TYPES: frozenset[str] = frozenset(DISABILITY_TYPE_ZH)

# Disability grades under GB/T 26341: grade 1 and 2 are "severe" (重度残疾) for every benefit here.
SEVERE_DISABILITY_GRADES: frozenset[int] = frozenset({1, 2})


class FactsError(ValueError):
    """Facts handed to the rules are malformed (a programming or data-entry error)."""


def _require_fen(value: object, what: str) -> None:
    # bool is an int subclass; True fen is always a bug, and floats are never money.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FactsError(f"{what} 必须是不小于 0 的整数（分），实际为 {value!r}")


@dataclass(frozen=True)
class Income:
    """One income item of a member, per month, in fen."""

    source: IncomeSource
    monthly_fen: int

    def __post_init__(self) -> None:
        if self.source not in INCOME_SOURCES:
            raise FactsError(f"收入来源无效：{self.source!r}")
        _require_fen(self.monthly_fen, "月收入")


@dataclass(frozen=True)
class Asset:
    """One asset of a member; a housing asset is one dwelling unit."""

    kind: AssetKind
    value_fen: int
    employs_others: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ASSET_KINDS:
            raise FactsError(f"财产类型无效：{self.kind!r}")
        _require_fen(self.value_fen, "财产价值")


@dataclass(frozen=True)
class Expense:
    """One monthly spending of a member that the rules may deduct, in fen."""

    kind: str
    monthly_fen: int

    def __post_init__(self) -> None:
        if self.kind not in EXPENSE_KINDS:
            raise FactsError(f"支出类别无效：{self.kind!r}")
        _require_fen(self.monthly_fen, "月支出")


@dataclass(frozen=True)
class MemberFacts:
    """One household member as recorded by the investigator."""

    id_number: str
    name: str
    relation: str
    birth_date: date
    labour_capacity: LabourCapacity
    health: Health = "healthy"
    disability_grade: int | None = None
    incomes: tuple[Income, ...] = ()
    assets: tuple[Asset, ...] = ()
    is_student: bool = False
    has_supporter_able_to_pay: bool = False
    disability_type: DisabilityType | None = None  # 残疾类别 of the 残疾人证; None = not recorded
    expenses: tuple[Expense, ...] = ()  # spending the district's rules may deduct

    def __post_init__(self) -> None:
        if not self.id_number:
            raise FactsError("成员缺少身份证号")
        if self.labour_capacity not in LABOUR_VALUES:
            raise FactsError(f"{self.name} 的劳动能力无效：{self.labour_capacity!r}")
        if self.health not in HEALTH_VALUES:
            raise FactsError(f"{self.name} 的健康状况无效：{self.health!r}")
        grade = self.disability_grade
        if grade is not None and (isinstance(grade, bool) or grade not in (1, 2, 3, 4)):
            raise FactsError(f"{self.name} 的残疾等级必须为 1–4 级，实际为 {grade!r}")
        kind = self.disability_type
        if kind is not None and kind not in DISABILITY_TYPES:
            raise FactsError(f"{self.name} 的残疾类别无效：{kind!r}")
        if kind is not None and grade is None:
            label = DISABILITY_TYPE_ZH[kind]
            raise FactsError(f"{self.name} 登记了残疾类别（{label}）但没有残疾等级")
        # Lists would make the frozen value mutable (and unhashable); insist on tuples.
        if not all(isinstance(x, tuple) for x in (self.incomes, self.assets, self.expenses)):
            raise FactsError(f"{self.name} 的收入、财产和支出必须是元组")

    def age_on(self, day: date) -> int:
        """Completed years of age on `day`."""
        return full_years(self.birth_date, day)

    @property
    def monthly_income_fen(self) -> int:
        """Sum of this member's monthly incomes in fen (every category, counted or not)."""
        return sum(item.monthly_fen for item in self.incomes)

    def counted_income_fen(self, excluded: Collection[str] = ()) -> int:
        """This member's monthly income without the categories in `excluded` (不计入的收入)."""
        return sum(item.monthly_fen for item in self.incomes if item.source not in excluded)

    def work_income_fen(self) -> int:
        """Monthly wage and business income (income from work)."""
        return sum(i.monthly_fen for i in self.incomes if i.source in WORK_INCOME_SOURCES)

    @property
    def disability_zh(self) -> str:
        """E.g. "一级肢体残疾", "二级残疾（类别未登记）", "" when not disabled."""
        if self.disability_grade is None:
            return ""
        grade = "一二三四"[self.disability_grade - 1]
        if self.disability_type is None:
            return f"{grade}级残疾（类别未登记）"
        return f"{grade}级{DISABILITY_TYPE_ZH[self.disability_type]}残疾"

    @property
    def severe_disability(self) -> bool:
        """True for disability grade 1 or 2."""
        return self.disability_grade in SEVERE_DISABILITY_GRADES

    @property
    def serious_illness(self) -> bool:
        """True when the member has a serious illness (大病)."""
        return self.health == "serious_illness"


@dataclass(frozen=True)
class HouseholdFacts:
    """A household as assessed: its members and household-level circumstances."""

    members: tuple[MemberFacts, ...]
    main_cause: str | None = None  # e.g. 因病, 因残, 因灾 (the registry's wording)
    income_stable: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.members, tuple) or not self.members:
            raise FactsError("家庭至少要有一名成员（members 必须是非空元组）")
        ids = [m.id_number for m in self.members]
        if len(set(ids)) != len(ids):
            raise FactsError("家庭成员身份证号重复")

    @property
    def size(self) -> int:
        """Number of members."""
        return len(self.members)

    @property
    def total_monthly_income_fen(self) -> int:
        """Sum of all members' monthly incomes in fen (every category, counted or not)."""
        return sum(m.monthly_income_fen for m in self.members)

    def counted_income_fen(self, excluded: Collection[str] = ()) -> int:
        """The household's monthly income without the categories in `excluded`."""
        return sum(m.counted_income_fen(excluded) for m in self.members)

    def sorted_members(self) -> tuple[MemberFacts, ...]:
        """Members ordered by ID number, so results never depend on entry order."""
        return tuple(sorted(self.members, key=lambda m: m.id_number))

    def member(self, id_number: str) -> MemberFacts:
        """The member with this ID number (KeyError if absent)."""
        for m in self.members:
            if m.id_number == id_number:
                return m
        raise KeyError(id_number)
