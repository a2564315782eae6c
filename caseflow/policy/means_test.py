"""Household economic assessment (家庭经济状况核对): income vs the standard, property limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from caseflow.policy.config import PolicyConfig, PolicyTable
from caseflow.policy.explain import Decision, RuleResult, make_decision, yuan
from caseflow.policy.facts import HouseholdFacts, MemberFacts

MT_INCOME = "MT-INCOME"
MT_FINANCIAL = "MT-FINANCIAL"
MT_VEHICLE = "MT-VEHICLE"
MT_EMPLOYER = "MT-EMPLOYER"
MT_HOUSING = "MT-HOUSING"

FINANCIAL_KINDS = frozenset({"deposit", "financial"})


def per_capita_monthly_income_fen(household: HouseholdFacts) -> int:
    """Household monthly income ÷ members, rounded half up to whole fen (exact integer arithmetic).

    The rounded figure is the one shown to staff, and the eligibility comparison uses that same
    figure, so the printed explanation can never contradict the outcome.
    """
    return _divide_half_up(household.total_monthly_income_fen, household.size)


def _divide_half_up(numerator: int, denominator: int) -> int:
    # Integer arithmetic: Decimal division would round at 28 significant digits for huge inputs.
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def income_result(household: HouseholdFacts, config: PolicyConfig) -> RuleResult:
    """Per-capita monthly income must be strictly below the monthly standard."""
    per_capita = per_capita_monthly_income_fen(household)
    standard = config.dibao_standard_fen
    passed = per_capita < standard
    sign = "<" if passed else "≥"
    return RuleResult(
        code=MT_INCOME,
        label_zh="家庭人均月收入",
        passed=passed,
        detail_zh=(
            f"家庭月收入 {yuan(household.total_monthly_income_fen)} ÷ {household.size} 人 = "
            f"人均月收入 {yuan(per_capita)} {sign} 标准 {yuan(standard)}"
        ),
        figures={
            "total_monthly_income_fen": household.total_monthly_income_fen,
            "household_size": household.size,
            "per_capita_fen": per_capita,
            "standard_fen": standard,
        },
    )


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
    """Means test under an explicitly chosen configuration; every rule is listed."""
    results = [income_result(household, config), *property_results(household.members, config)]
    eligible = all(r.passed for r in results)
    return make_decision(
        "eligible" if eligible else "ineligible",
        "符合低保家庭经济状况条件" if eligible else "不符合低保家庭经济状况条件",
        results,
        config,
        on,
    )


def assess_means(household: HouseholdFacts, table: PolicyTable, on: date) -> Decision:
    """Means test against the configuration in force on the assessment date `on`."""
    return assess_means_with(household, table.in_force(on), on)
