"""Household economic assessment: income rule, property exclusions, explanation text."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from policy_factories import ON, config, household, member, seed_table, with_incomes

from caseflow.policy.config import PropertyLimits
from caseflow.policy.facts import Asset, HouseholdFacts, Income, MemberFacts
from caseflow.policy.means_test import (
    MT_EMPLOYER,
    MT_FINANCIAL,
    MT_HOUSING,
    MT_INCOME,
    MT_VEHICLE,
    assess_means,
    assess_means_with,
    per_capita_monthly_income_fen,
)


@pytest.mark.parametrize(
    ("incomes", "per_capita", "passed", "detail"),
    [
        (
            (82500, 0),
            41250,
            True,
            "家庭月收入 825.00 元 ÷ 2 人 = 人均月收入 412.50 元 < 标准 560.00 元",
        ),
        ((0,), 0, True, "家庭月收入 0.00 元 ÷ 1 人 = 人均月收入 0.00 元 < 标准 560.00 元"),
        ((55999,), 55999, True, "人均月收入 559.99 元 < 标准 560.00 元"),
        ((56000,), 56000, False, "人均月收入 560.00 元 ≥ 标准 560.00 元"),
        ((100000, 12000), 56000, False, "人均月收入 560.00 元 ≥ 标准 560.00 元"),
        # 111999 / 2 = 55999.5 → rounds half up to 56000.00, and the comparison uses that figure.
        ((111999, 0), 56000, False, "人均月收入 560.00 元 ≥ 标准 560.00 元"),
        ((111998, 0, 0), 37333, True, "人均月收入 373.33 元 < 标准 560.00 元"),
        ((2, 0, 0), 1, True, "人均月收入 0.01 元"),
        ((1, 0, 0), 0, True, "人均月收入 0.00 元"),
    ],
)
def test_income_rule(incomes: tuple[int, ...], per_capita: int, passed: bool, detail: str) -> None:
    decision = assess_means_with(with_incomes(*incomes), config(), ON)
    result = decision.result(MT_INCOME)
    assert result.passed is passed
    assert result.figures["per_capita_fen"] == per_capita
    assert detail in result.detail_zh
    verdict = "通过" if passed else "不通过"
    assert result.line_zh().endswith(f"：{verdict}")
    assert f"[{MT_INCOME}] 家庭人均月收入：" in result.line_zh()


def _with_assets(*assets: Asset, size: int = 1) -> HouseholdFacts:
    first = member(assets=assets)
    return household(first, *(member() for _ in range(size - 1)))


LIMIT_1 = 24 * 56000  # one person: 24 months × 560.00 = 13440.00


@pytest.mark.parametrize(
    ("assets", "size", "code", "passed", "detail"),
    [
        ((Asset("deposit", LIMIT_1),), 1, MT_FINANCIAL, True,
         "存款及其他金融资产 13440.00 元 ≤ 上限 13440.00 元（24 个月标准）"),
        ((Asset("deposit", LIMIT_1), Asset("financial", 1)), 1, MT_FINANCIAL, False,
         "存款及其他金融资产 13440.01 元 > 上限 13440.00 元（24 个月标准）"),
        ((Asset("deposit", 2 * LIMIT_1),), 2, MT_FINANCIAL, True,
         "≤ 上限 26880.00 元（24 个月标准 × 2 人）"),
        ((Asset("housing", 9_000_000),), 1, MT_FINANCIAL, True, "存款及其他金融资产 0.00 元"),
        ((Asset("vehicle", 3_000_000),), 1, MT_VEHICLE, False, "拥有非生产用机动车辆 1 辆"),
        ((Asset("work_vehicle", 3_000_000),), 1, MT_VEHICLE, True, "拥有非生产用机动车辆 0 辆"),
        ((Asset("business", 100_000, employs_others=True),), 1, MT_EMPLOYER, False,
         "雇佣他人的经营实体 1 个"),
        ((Asset("business", 100_000),), 1, MT_EMPLOYER, True, "雇佣他人的经营实体 0 个"),
        ((Asset("housing", 1),), 1, MT_HOUSING, True, "住房 1 套 ≤ 上限 1 套"),
        ((Asset("housing", 1), Asset("housing", 1)), 1, MT_HOUSING, False, "住房 2 套 > 上限 1 套"),
    ],
)  # fmt: skip
def test_property_rules(
    assets: tuple[Asset, ...], size: int, code: str, passed: bool, detail: str
) -> None:
    decision = assess_means_with(_with_assets(*assets, size=size), config(), ON)
    result = decision.result(code)
    assert result.passed is passed
    assert detail in result.detail_zh
    assert decision.outcome == ("eligible" if passed else "ineligible")


def test_household_wide_financial_limit_when_not_per_capita() -> None:
    limits = replace(config().property, financial_per_capita=False)
    decision = assess_means_with(
        _with_assets(Asset("deposit", LIMIT_1 + 1), size=3), config(property=limits), ON
    )
    assert not decision.result(MT_FINANCIAL).passed
    assert "上限 13440.00 元（24 个月标准）" in decision.result(MT_FINANCIAL).detail_zh


@pytest.mark.parametrize(
    ("switch", "asset", "code"),
    [
        ("non_work_vehicle_excludes", Asset("vehicle", 1), MT_VEHICLE),
        ("employing_others_excludes", Asset("business", 1, employs_others=True), MT_EMPLOYER),
    ],
)
def test_switched_off_exclusion_is_still_shown(switch: str, asset: Asset, code: str) -> None:
    limits: PropertyLimits = replace(config().property, **{switch: False})
    decision = assess_means_with(_with_assets(asset), config(property=limits), ON)
    assert decision.result(code).passed
    assert "（本标准不作为排除条件）" in decision.result(code).detail_zh


def test_every_rule_listed_in_explanation() -> None:
    decision = assess_means_with(with_incomes(82500, 0), config(), ON)
    text = decision.explain_zh()
    lines = text.splitlines()
    assert lines[0] == "依据：2026 年度标准（640502，2026-01-01 起施行）；核定日期 2026-03-01"
    assert lines[1] == (
        "[MT-INCOME] 家庭人均月收入：家庭月收入 825.00 元 ÷ 2 人 = "
        "人均月收入 412.50 元 < 标准 560.00 元：通过"
    )
    for code in (MT_FINANCIAL, MT_VEHICLE, MT_EMPLOYER, MT_HOUSING):
        assert f"[{code}]" in text
    assert lines[-1] == "结论：符合低保家庭经济状况条件"


def test_failed_decision_names_failed_rules() -> None:
    decision = assess_means_with(
        household(member(income=90000, assets=(Asset("vehicle", 1),))), config(), ON
    )
    assert decision.outcome == "ineligible"
    assert [r.code for r in decision.failed()] == [MT_INCOME, MT_VEHICLE]
    assert decision.explain_zh().endswith("结论：不符合低保家庭经济状况条件")


@pytest.mark.parametrize(
    ("day", "standard", "year_text"),
    [
        (date(2025, 12, 31), "540.00", "2025-01-01 起施行"),
        (date(2026, 1, 1), "560.00", "2026-01-01 起施行"),
    ],
)
def test_standard_in_force_on_assessment_date(day: date, standard: str, year_text: str) -> None:
    decision = assess_means(with_incomes(55000), seed_table(), day)
    assert f"标准 {standard} 元" in decision.explain_zh()
    assert year_text in decision.explain_zh()
    assert "【示例数值，待管理员确认】" in decision.explain_zh()
    assert decision.is_example_config


# --- property-based -------------------------------------------------------------------------

fen = st.integers(min_value=0, max_value=10**9)


@given(st.lists(fen, min_size=1, max_size=12))
def test_per_capita_is_exact_half_up(incomes: list[int]) -> None:
    hh = with_incomes(*incomes)
    result = per_capita_monthly_income_fen(hh)
    exact = Fraction(sum(incomes), len(incomes))
    assert isinstance(result, int)
    assert abs(result - exact) <= Fraction(1, 2)
    # Halves go up, never down.
    assert result - exact != Fraction(-1, 2)


def _members_strategy() -> st.SearchStrategy[list[MemberFacts]]:
    asset = st.builds(
        Asset,
        kind=st.sampled_from(["deposit", "financial", "vehicle", "work_vehicle", "housing"]),
        value_fen=st.integers(0, 2_000_000),
        employs_others=st.booleans(),
    )
    one = st.builds(
        lambda i, inc, assets: MemberFacts(
            id_number=f"ID{i:04d}",
            name=f"成员{i}",
            relation="家庭成员",
            birth_date=date(1970, 1, 1),
            labour_capacity="full",
            incomes=(Income("wages", inc),),
            assets=tuple(assets),
        ),
        st.integers(0, 9999),
        st.integers(0, 200_000),
        st.lists(asset, max_size=2),
    )
    return st.lists(one, min_size=1, max_size=6, unique_by=lambda m: m.id_number)


@given(_members_strategy(), st.randoms())
def test_member_order_does_not_change_the_decision(
    members: list[MemberFacts], rnd: random.Random
) -> None:
    shuffled = list(members)
    rnd.shuffle(shuffled)
    a = assess_means_with(HouseholdFacts(tuple(members)), config(), ON)
    b = assess_means_with(HouseholdFacts(tuple(shuffled)), config(), ON)
    assert a == b
    assert a.explain_zh() == b.explain_zh()
