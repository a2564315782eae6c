"""The means test computed from recorded lines, and explained line by line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from policy_factories import ON, config, household, member

from caseflow.policy.amounts import compute_amount
from caseflow.policy.config import Deductions, PolicyConfigError, config_to_dict, load_policy_yaml
from caseflow.policy.facts import Asset, Expense, Income
from caseflow.policy.means_lines import means_lines
from caseflow.policy.means_test import (
    MT_INCOME,
    assess_means_with,
    assessed_per_capita_fen,
    own_assessed_income_fen,
    single_person_route,
)

MEDICAL_AND_SCHOOL = Deductions(frozenset({"medical", "education"}), monthly_cap_fen=30000)


def _with_expenses(m, *expenses: Expense):  # type: ignore[no-untyped-def]
    return replace(m, expenses=expenses)


def test_every_line_is_listed_with_its_treatment_and_ground() -> None:
    earner = member(name="张三", income=120000, incomes=(Income("basic_pension", 15000),))
    earner = replace(earner, assets=(Asset("deposit", 500000), Asset("vehicle", 3000000)))
    lines = means_lines(household(earner), config())
    assert [(x.section, x.kind_zh, x.amount_fen, x.treatment_zh) for x in lines] == [
        ("income", "工资性收入", 120000, "计入"),
        ("income", "城乡居民基本养老保险基础养老金", 15000, "不计入"),
        ("asset", "存款", 500000, "计入金融资产"),
        ("asset", "非生产用机动车辆", 3000000, "排除条件"),
    ]
    assert "民发〔2021〕57号 第十三条" in lines[1].reason_zh
    assert all(x.member == "张三" for x in lines)


def test_deductions_apply_in_recorded_order_up_to_the_monthly_cap() -> None:
    first = _with_expenses(member(name="甲", income=90000), Expense("education", 20000))
    second = _with_expenses(
        member(name="乙"), Expense("medical", 25000), Expense("employment", 5000)
    )
    lines = means_lines(household(first, second), config(deductions=MEDICAL_AND_SCHOOL))
    spent = [
        (x.member, x.kind_zh, x.treatment_zh, x.deducted_fen)
        for x in lines
        if x.section == "expense"
    ]
    assert spent == [
        ("甲", "因学教育刚性支出", "扣减", 20000),
        ("乙", "因病医疗刚性支出", "扣减 100.00 元", 10000),  # the cap (300.00) is reached here
        ("乙", "必要的就业成本", "不扣减", 0),  # a kind this config does not deduct
    ]
    assert "上限 300.00 元" in lines[2].reason_zh
    assert lines[3].reason_zh == "本标准未规定此项扣减"


def test_without_configured_deductions_nothing_is_deducted() -> None:
    sick = _with_expenses(member(income=60000), Expense("medical", 40000))
    cfg = config()
    assert [x.treatment_zh for x in means_lines(household(sick), cfg)] == ["计入", "不扣减"]
    assert assessed_per_capita_fen(household(sick), cfg) == 60000
    income = assess_means_with(household(sick), cfg, ON).result(MT_INCOME)
    assert not income.passed
    assert "不属于本标准规定的扣减项目，未扣减" in income.detail_zh


def test_deducted_spending_lowers_the_per_capita_income_and_can_make_a_household_eligible() -> None:
    # 2 persons, 1,200.00 wages: 600.00 per head ≥ 560.00. Medical spending of 200.00 deducted:
    # (1,200.00 − 200.00) ÷ 2 = 500.00 < 560.00.
    sick = _with_expenses(member(), Expense("medical", 20000))
    h = household(member(income=120000), sick)
    before = assess_means_with(h, config(), ON)
    after = assess_means_with(h, config(deductions=MEDICAL_AND_SCHOOL), ON)
    assert not before.passed and after.passed
    detail = after.result(MT_INCOME).detail_zh
    assert "家庭月收入 1200.00 元 − 扣减 200.00 元 = 1000.00 元 ÷ 2 人" in detail
    assert "人均月收入 500.00 元 < 标准 560.00 元" in detail


def test_the_amount_is_computed_from_the_income_after_deductions() -> None:
    sick = _with_expenses(member(), Expense("medical", 20000))
    h = household(member(income=120000), sick)
    cfg = config(deductions=MEDICAL_AND_SCHOOL)
    amount = compute_amount(h, cfg, ON)
    # gap method: (560.00 − 500.00) × 2 persons
    assert amount.base_fen == 12000


def test_deductions_never_make_income_negative() -> None:
    sick = _with_expenses(member(income=10000), Expense("medical", 30000))
    assert assessed_per_capita_fen(household(sick), config(deductions=MEDICAL_AND_SCHOOL)) == 0


def test_a_single_person_route_uses_the_members_own_income_less_own_deductions() -> None:
    # Household 2 × 700.00 = 700.00 per head (< 1.5 × 560.00): an edge household; the seriously
    # ill member earns 600.00 of own (≥ standard) but spends 100.00 on treatment → 500.00.
    ill = _with_expenses(
        member(name="病人", income=60000, health="serious_illness"), Expense("medical", 10000)
    )
    h = household(member(income=80000), ill)
    without = single_person_route(h, config())
    with_ded = single_person_route(h, config(deductions=MEDICAL_AND_SCHOOL))
    assert own_assessed_income_fen(ill, config(deductions=MEDICAL_AND_SCHOOL)) == 50000
    assert not without.candidates
    assert with_ded.candidates == (ill.id_number,)


def test_deductions_load_from_the_policy_file_and_write_back_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = _policy_text(
        "deductions:\n      kinds: [medical, education]\n      monthly_cap_fen: 30000\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_policy_yaml(path).configs[0]
    assert loaded.deductions == MEDICAL_AND_SCHOOL
    assert config_to_dict(loaded)["deductions"] == {
        "kinds": ["medical", "education"],
        "monthly_cap_fen": 30000,
    }


def test_an_unknown_deduction_kind_is_refused_with_the_choices(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.yaml"
    path.write_text(_policy_text("deductions:\n      kinds: [rent]\n"), encoding="utf-8")
    with pytest.raises(PolicyConfigError, match="medical / disability / education / employment"):
        load_policy_yaml(path)


def _policy_text(extra: str) -> str:
    return f"""region: "640502"
configs:
  - effective_from: {date(2026, 1, 1).isoformat()}
    is_example: true
    label: 测试
    dibao_standard_fen: 56000
    amount_method: gap
    registry_line_fen: 62500
    property:
      financial_months: 24
      financial_per_capita: true
      non_work_vehicle_excludes: true
      employing_others_excludes: true
      max_housing_units: 1
    class_amounts: {{a_fen: 47000, b_fen: 34000, c_fen: 19000}}
    top_ups:
      severe_disability_fen: 0
      serious_illness_fen: 0
      elderly_fen: 0
      elderly_age: 70
      minor_fen: 0
      minor_age: 16
      rule: highest
    tekun:
      ratio: "1.3"
      care_self_care_fen: 0
      care_partial_fen: 0
      care_full_fen: 0
    temporary:
      cap_multiples: {{因病: "12"}}
      township_ceiling_fen: 200000
      repeat_window_days: 365
    {extra}"""
