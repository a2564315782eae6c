"""Input facts: validation, ages, incomes; and the Decision/RuleResult rendering helpers."""

from __future__ import annotations

from datetime import date

import pytest
from policy_factories import config, household, member

from caseflow.policy.explain import Decision, RuleResult, make_decision, round_half_up, yuan
from caseflow.policy.facts import Asset, FactsError, HouseholdFacts, Income, MemberFacts


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Income("wages", 12.5), "整数（分）"),  # type: ignore[arg-type]
        (lambda: Income("wages", True), "整数（分）"),
        (lambda: Income("wages", -1), "不小于 0"),
        (lambda: Income("salary", 1), "收入来源无效"),  # type: ignore[arg-type]
        (lambda: Asset("gold", 1), "财产类型无效"),  # type: ignore[arg-type]
        (lambda: Asset("deposit", 1.0), "整数（分）"),  # type: ignore[arg-type]
        (lambda: member(grade=5), "残疾等级必须为 1–4 级"),
        (lambda: member(grade=0), "残疾等级必须为 1–4 级"),
        (lambda: member(labour="some"), "劳动能力无效"),
        (lambda: member(health="ok"), "健康状况无效"),
        (lambda: MemberFacts("", "甲", "本人", date(1990, 1, 1), "full"), "缺少身份证号"),
        (lambda: HouseholdFacts(()), "至少要有一名成员"),
        (lambda: HouseholdFacts([member()]), "非空元组"),  # type: ignore[arg-type]
        (lambda: household(member(id_number="X"), member(id_number="X")), "身份证号重复"),
    ],
)
def test_invalid_facts_are_refused(build: object, message: str) -> None:
    with pytest.raises(FactsError, match=message):
        build()  # type: ignore[operator]


def test_lists_are_refused_for_incomes() -> None:
    with pytest.raises(FactsError, match="元组"):
        MemberFacts("X", "甲", "本人", date(1990, 1, 1), "full", incomes=[Income("wages", 1)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1966, 3, 1), date(2026, 3, 1), 60),
        (date(1966, 3, 2), date(2026, 3, 1), 59),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert member(born=born).age_on(on) == age


def test_household_income_sums_all_sources() -> None:
    m = MemberFacts(
        "X",
        "甲",
        "本人",
        date(1990, 1, 1),
        "full",
        incomes=(Income("wages", 30000), Income("transfer", 1250), Income("property", 1)),
    )
    hh = household(m, member(income=100))
    assert m.monthly_income_fen == 31251
    assert hh.total_monthly_income_fen == 31351
    assert hh.size == 2
    assert hh.member("X") is m


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00 元"), (41250, "412.50 元"), (5, "0.05 元")])
def test_yuan(fen: int, text: str) -> None:
    assert yuan(fen) == text


def test_round_half_up() -> None:
    from decimal import Decimal

    assert round_half_up(Decimal("0.5")) == 1
    assert round_half_up(Decimal("1.49")) == 1
    assert round_half_up(Decimal("2.5")) == 3


def test_decision_rendering_for_example_config() -> None:
    results = [
        RuleResult("R1", "甲", True, "人均月收入 412.50 元 < 标准 560.00 元"),
        RuleResult("R2", "乙", False, "住房 2 套 > 上限 1 套"),
    ]
    decision = make_decision("ineligible", "不符合", results, config(is_example=True))
    assert isinstance(decision, Decision)
    assert not decision.passed
    assert decision.explain_zh().splitlines() == [
        "依据：2026 年度标准（640502，2026-01-01 起施行）【示例数值，待管理员确认】",
        "[R1] 甲：人均月收入 412.50 元 < 标准 560.00 元：通过",
        "[R2] 乙：住房 2 套 > 上限 1 套：不通过",
        "结论：不符合",
    ]
    with pytest.raises(KeyError):
        decision.result("R9")


def test_decision_accepts_a_list_and_stores_a_tuple() -> None:
    result = RuleResult("R1", "甲", True, "说明")
    decision = Decision("ok", [result], date(2026, 1, 1), False)
    assert decision.results == (result,)
    assert decision.explain_zh().splitlines()[-1] == "结论：ok"
