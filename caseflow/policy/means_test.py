"""Household economic assessment (家庭经济状况核对): income vs the standard, property limits."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from caseflow.policy.config import (
    DEDUCTION_BASIS,
    PolicyConfig,
    PolicyTable,
    ceil_fen,
    ordered_income_codes,
)
from caseflow.policy.explain import Decision, RuleResult, make_decision, yuan
from caseflow.policy.facts import EXPENSE_KIND_ZH, INCOME_SOURCE_ZH, HouseholdFacts, MemberFacts

MT_INCOME = "MT-INCOME"
MT_FINANCIAL = "MT-FINANCIAL"
MT_VEHICLE = "MT-VEHICLE"
MT_EMPLOYER = "MT-EMPLOYER"
MT_HOUSING = "MT-HOUSING"
MT_SINGLE = "MT-SINGLE"

FINANCIAL_KINDS = frozenset({"deposit", "financial"})

# Citations shown in explanations (research/law-notes.md).
EXCLUDED_INCOME_BASIS = "民发〔2021〕57号 第十三条"
SINGLE_PERSON_BASIS = "民发〔2021〕57号 第八条；民发〔2022〕83号 一(四)；国办发〔2023〕39号"
# Single-person route, 57号 第八条（一）: grade 3 counts only for these types.
GRADE_3_SINGLE_TYPES = frozenset({"intellectual", "mental"})


def per_capita_monthly_income_fen(household: HouseholdFacts, excluded: Collection[str] = ()) -> int:
    """Household monthly income (without the `excluded` categories) ÷ members, rounded half up
    to whole fen (exact integer arithmetic).

    The rounded figure is the one shown to staff, and the eligibility comparison uses that same
    figure, so the printed explanation can never contradict the outcome.
    """
    return _divide_half_up(household.counted_income_fen(excluded), household.size)


def excluded_income_zh(members: Iterable[MemberFacts], excluded: Collection[str]) -> str:
    """The income left out, by category: "不计入：优待抚恤金 300.00 元、奖学金 100.00 元（…）";
    "" when nothing was left out."""
    totals: dict[str, int] = {}
    for m in members:
        for item in m.incomes:
            if item.source in excluded and item.monthly_fen:
                totals[item.source] = totals.get(item.source, 0) + item.monthly_fen
    if not totals:
        return ""
    parts = "、".join(
        f"{INCOME_SOURCE_ZH[code]} {yuan(totals[code])}" for code in ordered_income_codes(totals)
    )
    return f"不计入：{parts}"


@dataclass(frozen=True)
class Deduction:
    """The spending deducted from income: what was recorded, what the rules allow (before the
    cap) and what is deducted (after it), per kind in the order of EXPENSE_KIND_ZH."""

    recorded_fen: int
    allowed_fen: int
    deducted_fen: int
    by_kind: tuple[tuple[str, int], ...]  # allowed kinds with their recorded totals
    cap_fen: int | None


def deduction(members: Iterable[MemberFacts], config: PolicyConfig) -> Deduction:
    """The deductible spending of `members` under `config` (民发〔2021〕57号 第十三条 last
    paragraph: only the kinds the region names, up to its monthly cap for the household)."""
    people = tuple(members)
    rules = config.deductions
    totals: dict[str, int] = {}
    for m in people:
        for e in m.expenses:
            totals[e.kind] = totals.get(e.kind, 0) + e.monthly_fen
    allowed = [(k, totals[k]) for k in EXPENSE_KIND_ZH if k in totals and k in rules.kinds]
    allowed_fen = sum(v for _, v in allowed)
    cap = rules.monthly_cap_fen
    deducted = allowed_fen if cap is None else min(allowed_fen, cap)
    return Deduction(sum(totals.values()), allowed_fen, deducted, tuple(allowed), cap)


def assessed_income_fen(household: HouseholdFacts, config: PolicyConfig) -> int:
    """The household's monthly income as the means test counts it: without the excluded
    categories, less the deductible spending (never below 0)."""
    counted = household.counted_income_fen(config.excluded_income)
    return max(counted - deduction(household.members, config).deducted_fen, 0)


def assessed_per_capita_fen(household: HouseholdFacts, config: PolicyConfig) -> int:
    """assessed_income_fen ÷ members, rounded half up (the figure compared with the standard)."""
    return _divide_half_up(assessed_income_fen(household, config), household.size)


def own_assessed_income_fen(member: MemberFacts, config: PolicyConfig) -> int:
    """One member's counted income less that member's own deductible spending (单人保)."""
    counted = member.counted_income_fen(config.excluded_income)
    return max(counted - deduction((member,), config).deducted_fen, 0)


def deduction_zh(ded: Deduction) -> str:
    """ "扣减：因病医疗刚性支出 300.00 元（上限 …）" or why nothing recorded was deducted."""
    if not ded.recorded_fen:
        return ""
    if not ded.allowed_fen:
        return f"登记的支出 {yuan(ded.recorded_fen)} 不属于本标准规定的扣减项目，未扣减"
    parts = "、".join(f"{EXPENSE_KIND_ZH[k]} {yuan(v)}" for k, v in ded.by_kind)
    text = f"扣减：{parts}"
    if ded.deducted_fen < ded.allowed_fen:
        text += f"，超过每月扣减上限 {yuan(ded.cap_fen or 0)}，按上限扣减"
    return text + f"，依据{DEDUCTION_BASIS}"


def per_capita_fen(total_fen: int, size: int) -> int:
    """`total_fen` ÷ `size`, rounded half up to whole fen (the means test's rounding)."""
    return _divide_half_up(total_fen, size)


def _divide_half_up(numerator: int, denominator: int) -> int:
    # Integer arithmetic: Decimal division would round at 28 significant digits for huge inputs.
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def income_result(household: HouseholdFacts, config: PolicyConfig) -> RuleResult:
    """Per-capita monthly income must be strictly below the monthly standard; the categories the
    configuration excludes (57号 第十三条) are not counted, and are listed."""
    excluded = config.excluded_income
    counted = household.counted_income_fen(excluded)
    ded = deduction(household.members, config)
    net = assessed_income_fen(household, config)
    per_capita = assessed_per_capita_fen(household, config)
    standard = config.dibao_standard_fen
    passed = per_capita < standard
    sign = "<" if passed else "≥"
    less = f" − 扣减 {yuan(ded.deducted_fen)} = {yuan(net)}" if ded.deducted_fen else ""
    detail = (
        f"家庭月收入 {yuan(counted)}{less} ÷ {household.size} 人 = "
        f"人均月收入 {yuan(per_capita)} {sign} 标准 {yuan(standard)}"
    )
    left_out = excluded_income_zh(household.members, excluded)
    if left_out:
        detail += f"（{left_out}，依据{EXCLUDED_INCOME_BASIS}）"
    deducted = deduction_zh(ded)
    if deducted:
        detail += f"（{deducted}）"
    return RuleResult(
        code=MT_INCOME,
        label_zh="家庭人均月收入",
        passed=passed,
        detail_zh=detail,
        figures={
            "total_monthly_income_fen": counted,
            "excluded_income_fen": household.total_monthly_income_fen - counted,
            "household_size": household.size,
            "per_capita_fen": per_capita,
            "standard_fen": standard,
            "deducted_fen": ded.deducted_fen,
        },
    )


def single_person_ground(member: MemberFacts) -> str | None:
    """Why a member of a 低保边缘 household may be covered alone (57号 第八条（一）（二）):
    grade 1–2 disability, grade 3 intellectual or mental disability, or a serious illness."""
    grade = member.disability_grade
    if grade in (1, 2):
        return f"重度残疾（{member.disability_zh}）"
    if grade == 3 and member.disability_type in GRADE_3_SINGLE_TYPES:
        return member.disability_zh
    if member.serious_illness:
        return "患重特大疾病"
    return None


@dataclass(frozen=True)
class SinglePersonRoute:
    """The single-person route (单人保) of a household: who may be covered alone, and why."""

    available: bool
    candidates: tuple[str, ...]  # ID numbers of the members who may be covered alone
    edge_limit_fen: int
    result: RuleResult


def single_person_route(household: HouseholdFacts, config: PolicyConfig) -> SinglePersonRoute:
    """Whether a severely disabled or seriously ill member may be covered alone.

    The household must be a 低保边缘家庭: not eligible as a whole (per-capita income not below the
    standard) but below `edge_multiple` × the standard, with its property within the limits
    (57号 第八条第二款). The member, treated as a one-person household (参照"单人户", 83号 一(四)),
    must have a ground (`single_person_ground`) and own counted income below the standard.
    """
    standard = config.dibao_standard_fen
    per_capita = assessed_per_capita_fen(household, config)
    # per_capita < multiple × standard ⟺ per_capita < ⌈multiple × standard⌉ for whole fen.
    limit = ceil_fen(config.edge_multiple * Decimal(standard))
    property_ok = all(r.passed for r in property_results(household.members, config))
    reasons: list[str] = []
    candidates: list[str] = []
    if per_capita < standard:
        reasons.append(f"家庭人均月收入 {yuan(per_capita)} 低于标准 {yuan(standard)}，应按户纳入")
    elif per_capita >= limit:
        reasons.append(
            f"家庭人均月收入 {yuan(per_capita)} ≥ {config.edge_multiple} 倍标准 {yuan(limit)}，"
            "不属于低保边缘家庭"
        )
    elif not property_ok:
        reasons.append("家庭财产状况不符合规定，不属于低保边缘家庭")
    else:
        for m in household.sorted_members():
            ground = single_person_ground(m)
            own = own_assessed_income_fen(m, config)
            if ground is None:
                continue
            if own >= standard:
                reasons.append(
                    f"{m.name}（{ground}）本人月收入 {yuan(own)} ≥ 标准 {yuan(standard)}"
                )
                continue
            candidates.append(m.id_number)
            reasons.append(f"{m.name}（{ground}，本人月收入 {yuan(own)}）可单独纳入")
        if not candidates and not reasons:
            reasons.append("家庭中没有重度残疾、三级智力或精神残疾、重特大疾病成员")
    available = bool(candidates)
    head = ""
    if standard <= per_capita < limit:
        head = (
            f"低保边缘家庭（人均月收入 {yuan(per_capita)} < {config.edge_multiple} × 标准 = "
            f"{yuan(limit)}）："
        )
    detail = head + "；".join(reasons) + f"（依据{SINGLE_PERSON_BASIS}）"
    figures: dict[str, int | str | bool] = {
        "per_capita_fen": per_capita,
        "edge_limit_fen": limit,
        "candidates": "、".join(candidates),
    }
    result = RuleResult(
        MT_SINGLE, "单人保（低保边缘家庭重残、重病人员）", available, detail, figures
    )
    return SinglePersonRoute(available, tuple(candidates), limit, result)


def property_results(members: Iterable[MemberFacts], config: PolicyConfig) -> list[RuleResult]:
    """The property exclusions: financial assets, non-work vehicle, employing others, housing."""
    people = tuple(members)
    assets = [a for m in people for a in m.assets]
    limits = config.property
    standard = config.dibao_standard_fen
    results: list[RuleResult] = []

    financial = sum(a.value_fen for a in assets if a.kind in FINANCIAL_KINDS)
    persons = len(people) if limits.financial_per_capita else 1
    limit = limits.financial_months * standard * persons
    basis = f"{limits.financial_months} 个月标准" + (f" × {persons} 人" if persons > 1 else "")
    ok = financial <= limit
    results.append(
        RuleResult(
            code=MT_FINANCIAL,
            label_zh="金融资产",
            passed=ok,
            detail_zh=(
                f"存款及其他金融资产 {yuan(financial)} {'≤' if ok else '>'} "
                f"上限 {yuan(limit)}（{basis}）"
            ),
            figures={"financial_fen": financial, "limit_fen": limit, "persons": persons},
        )
    )

    vehicles = sum(1 for a in assets if a.kind == "vehicle")
    results.append(
        _exclusion(
            MT_VEHICLE,
            "非生产用机动车辆",
            vehicles,
            limits.non_work_vehicle_excludes,
            f"拥有非生产用机动车辆 {vehicles} 辆",
        )
    )

    employing = sum(1 for a in assets if a.employs_others)
    results.append(
        _exclusion(
            MT_EMPLOYER,
            "雇佣他人从事经营",
            employing,
            limits.employing_others_excludes,
            f"雇佣他人的经营实体 {employing} 个",
        )
    )

    housing = sum(1 for a in assets if a.kind == "housing")
    ok = housing <= limits.max_housing_units
    results.append(
        RuleResult(
            code=MT_HOUSING,
            label_zh="住房",
            passed=ok,
            detail_zh=(
                f"住房 {housing} 套 {'≤' if ok else '>'} 上限 {limits.max_housing_units} 套"
            ),
            figures={"housing_units": housing, "limit_units": limits.max_housing_units},
        )
    )
    return results


def _exclusion(code: str, label: str, count: int, applies: bool, fact: str) -> RuleResult:
    # A switched-off exclusion still appears in the decision, so staff see it was considered.
    if not applies:
        return RuleResult(code, label, True, f"{fact}（本标准不作为排除条件）", {"count": count})
    return RuleResult(code, label, count == 0, fact, {"count": count})


def assess_means_with(
    household: HouseholdFacts, config: PolicyConfig, on: date | None = None
) -> Decision:
    """Means test under an explicitly chosen configuration; every rule is listed.

    A household that fails only as a whole but is a 低保边缘家庭 with a member who may be covered
    alone is "eligible" for that member only: the decision says so, lists the single-person rule,
    and the covered-persons rule then admits exactly such a member (and nobody else).
    """
    results = [income_result(household, config), *property_results(household.members, config)]
    if all(r.passed for r in results):
        return make_decision("eligible", "符合低保家庭经济状况条件", results, config, on)
    route = single_person_route(household, config)
    if route.available:
        names = "、".join(household.member(i).name for i in route.candidates)
        return make_decision(
            "eligible",
            f"全户不符合低保条件；可按单人保单独纳入：{names}",
            [*results, route.result],
            config,
            on,
        )
    return make_decision("ineligible", "不符合低保家庭经济状况条件", results, config, on)


def assess_means(household: HouseholdFacts, table: PolicyTable, on: date) -> Decision:
    """Means test against the configuration in force on the assessment date `on`."""
    return assess_means_with(household, table.in_force(on), on)
