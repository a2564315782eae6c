"""Classified support (分类施保): suggest class A/B/C, enforce covered persons, class reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from caseflow.policy.config import PolicyConfig, PolicyError
from caseflow.policy.explain import RuleResult
from caseflow.policy.facts import HouseholdFacts, MemberFacts
from caseflow.policy.means_test import SINGLE_PERSON_BASIS, single_person_route

SupportClass = Literal["A", "B", "C"]
CLASSES: frozenset[str] = frozenset({"A", "B", "C"})

CLS_SUGGEST = "CLS-SUGGEST"
CLS_COVER_RANGE = "CLS-COVER-RANGE"
CLS_COVER_A = "CLS-COVER-A"
CLS_COVER_BC = "CLS-COVER-BC"
CLS_COVER_SINGLE = "CLS-COVER-SINGLE"
CLS_COVER_MEMBERS = "CLS-COVER-MEMBERS"


class CoverageRefused(PolicyError):
    """Covered persons break a classified-support rule; `rule` names the rule code."""

    def __init__(self, result: RuleResult) -> None:
        self.rule = result.code
        self.result = result
        super().__init__(f"{result.label_zh}：{result.detail_zh}", f"{result.code} refused")


@dataclass(frozen=True)
class ClassSuggestion:
    """A suggested class with the reason, for the investigator to confirm or override."""

    support_class: SupportClass
    reason_zh: str
    review_note_zh: str | None = None  # set when a C household looks due for removal

    def as_result(self) -> RuleResult:
        """The suggestion as a rule result for a Decision."""
        detail = f"建议 {self.support_class} 类：{self.reason_zh}"
        if self.review_note_zh:
            detail += f"；{self.review_note_zh}"
        return RuleResult(CLS_SUGGEST, "分类施保建议", True, detail, {"class": self.support_class})


def _cannot_work(m: MemberFacts) -> bool:
    # Severe disability and serious illness count as no labour capacity whatever was ticked for
    # labour capacity: such a member cannot be expected to earn, and needs care besides.
    return m.labour_capacity == "none" or m.severe_disability or m.serious_illness


def suggest_class(household: HouseholdFacts) -> ClassSuggestion:
    """Suggest A, B or C from labour capacity, health and income stability, with the reason."""
    members = household.members
    heavy = [m for m in members if m.severe_disability or m.serious_illness]
    able = [m for m in members if not _cannot_work(m)]
    full = [m for m in able if m.labour_capacity == "full"]

    # A: nobody in the household can work. The hardship is structural and will not end by itself,
    # so the whole household is covered and reviewed least often.
    if not able:
        causes = "、".join(sorted({_why_cannot_work(m) for m in members}))
        return ClassSuggestion("A", f"全户均无劳动能力（{causes}），属长期稳定困难")

    # B: someone can work, but either only partly, or the household carries a severely disabled
    # or seriously ill member (the plan's priority groups 因重残 / 因大病), so hardship persists.
    if heavy:
        return ClassSuggestion("B", f"家庭有重度残疾或大病成员 {len(heavy)} 人，虽有劳动力但负担重")
    if not full:
        return ClassSuggestion("B", f"家庭成员仅有部分劳动能力（{len(able)} 人），收入来源有限")

    # C: at least one member can work fully. Hardship is expected to be temporary, so class C is
    # the one to raise or remove at review; a stable income makes removal the likely outcome.
    if not household.income_stable:
        return ClassSuggestion("C", f"家庭有完全劳动能力成员 {len(full)} 人，收入不稳定")
    return ClassSuggestion(
        "C",
        f"家庭有完全劳动能力成员 {len(full)} 人",
        "收入已稳定，复核时应考虑提档或清退",
    )


def _why_cannot_work(m: MemberFacts) -> str:
    if m.severe_disability:
        return "重度残疾"
    if m.serious_illness:
        return "大病"
    return "无劳动能力"


def check_covered_persons(
    cls: str, household_size: int, covered: int, *, single_person: RuleResult | None = None
) -> RuleResult:
    """A covers the whole household; B and C at least 2 persons, except one-person households.

    `single_person`: the passed rule saying that the one covered person may be covered alone
    (单人保, 民发〔2021〕57号 第八条; see `check_covered_members`, which finds it from the facts).
    Such a person is treated as a one-person household, so one covered person is accepted in any
    class.
    """
    figures: dict[str, int | str | bool] = {
        "class": cls,
        "household_size": household_size,
        "covered": covered,
    }
    if cls not in CLASSES:
        raise ValueError(f"未知的保障类别：{cls!r}")
    if household_size < 1 or not 1 <= covered <= household_size:
        return RuleResult(
            CLS_COVER_RANGE,
            "保障人数范围",
            False,
            f"保障人数 {covered} 人必须在 1 至家庭人口 {household_size} 人之间",
            figures,
        )
    if covered == 1 and single_person is not None and single_person.passed:
        return RuleResult(
            CLS_COVER_SINGLE,
            "单人保",
            True,
            f"家庭 {household_size} 人，单独保障 1 人（参照单人户）：{single_person.detail_zh}",
            {**figures, "single_person": True},
        )
    if cls == "A":
        ok = covered == household_size
        detail = f"A 类按户施保：家庭 {household_size} 人，保障 {covered} 人"
        if not ok:
            detail += "，应全户纳入"
        return RuleResult(CLS_COVER_A, "A 类全户保障", ok, detail, figures)
    if household_size == 1:
        return RuleResult(
            CLS_COVER_BC,
            f"{cls} 类保障人数",
            True,
            f"单人户，保障 {covered} 人（单人户例外）",
            figures,
        )
    ok = covered >= 2
    detail = f"{cls} 类至少保障 2 人：家庭 {household_size} 人，保障 {covered} 人"
    return RuleResult(CLS_COVER_BC, f"{cls} 类保障人数", ok, detail, figures)


def check_covered_members(
    cls: str, household: HouseholdFacts, covered_ids: Iterable[str], config: PolicyConfig
) -> RuleResult:
    """Covered persons named as members (ID numbers), under the class rule and the
    single-person route: in a 低保边缘 household (not eligible as a whole, below
    `edge_multiple` × the standard) exactly one member who may be covered alone, and nobody else
    (民发〔2021〕57号 第八条); otherwise `check_covered_persons`."""
    wanted = set(covered_ids)
    known = {m.id_number for m in household.members}
    figures: dict[str, int | str | bool] = {
        "class": cls,
        "household_size": household.size,
        "covered": len(wanted),
    }
    if not wanted <= known:
        detail = "保障对象须为本户成员"
        return RuleResult(CLS_COVER_MEMBERS, "保障对象", False, detail, figures)
    route = single_person_route(household, config)
    if not route.available:
        return check_covered_persons(cls, household.size, len(wanted))
    if len(wanted) == 1 and wanted <= set(route.candidates):
        who = household.member(next(iter(wanted)))
        detail = f"{who.name}：{route.result.detail_zh}"
        single = RuleResult(route.result.code, route.result.label_zh, True, detail)
        return check_covered_persons(cls, household.size, 1, single_person=single)
    names = "、".join(household.member(i).name for i in route.candidates)
    detail = (
        f"全户不符合低保条件，只能按单人保单独纳入 1 人（可纳入：{names}），"
        f"不能保障 {len(wanted)} 人（依据{SINGLE_PERSON_BASIS}）"
    )
    return RuleResult(CLS_COVER_SINGLE, "单人保", False, detail, figures)


def enforce_covered_persons(cls: str, household_size: int, covered: int) -> RuleResult:
    """Like check_covered_persons, but raise CoverageRefused (naming the rule) on failure."""
    result = check_covered_persons(cls, household_size, covered)
    if not result.passed:
        raise CoverageRefused(result)
    return result


@dataclass(frozen=True)
class ClassRow:
    """One 低保 case as needed by the class reports."""

    case_ref: str
    support_class: str
    household_size: int
    covered: int


RowLike = ClassRow | tuple[str, str, int, int]


def _rows(rows: Iterable[RowLike]) -> list[ClassRow]:
    out = [r if isinstance(r, ClassRow) else ClassRow(*r) for r in rows]
    return sorted(out, key=lambda r: r.case_ref)


def single_covered_report(rows: Iterable[RowLike]) -> list[ClassRow]:
    """户1人保: one covered person in a household of two or more (one-person households aside)."""
    return [r for r in _rows(rows) if r.covered == 1 and r.household_size > 1]


def c_class_due_report(rows: Iterable[RowLike]) -> list[ClassRow]:
    """Class C households, all due for raising (提档) or removal (清退) at their next review."""
    return [r for r in _rows(rows) if r.support_class == "C"]
