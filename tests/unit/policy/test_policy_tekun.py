"""特困: eligibility conditions, six-item care assessment at its boundaries, the standard."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from policy_factories import ON, config, member, seed_table

from caseflow.policy.config import PolicyConfig
from caseflow.policy.facts import Asset, MemberFacts
from caseflow.policy.means_test import MT_VEHICLE
from caseflow.policy.tekun import (
    SELF_CARE_ITEMS,
    TK_CARE,
    TK_NO_INCOME,
    TK_NO_LABOUR,
    TK_NO_SUPPORTER,
    TK_STANDARD,
    assess_care,
    assess_tekun_eligibility,
    assess_tekun_eligibility_with,
    care_level_for_count,
    tekun_amount,
)

ITEMS = list(SELF_CARE_ITEMS)


@pytest.mark.parametrize(
    ("failed", "level", "detail"),
    [
        ([], "self_care", "六项自理能力中 0 项不能自理（无）→ 全自理"),
        (ITEMS[:1], "partial", "六项自理能力中 1 项不能自理（吃饭）→ 部分护理"),
        (ITEMS[:3], "partial", "3 项不能自理（吃饭、穿衣、上下床）→ 部分护理"),
        (ITEMS[:4], "full", "4 项不能自理（吃饭、穿衣、上下床、如厕）→ 全护理"),
        (ITEMS, "full", "6 项不能自理（吃饭、穿衣、上下床、如厕、室内行走、洗澡）→ 全护理"),
    ],
)
def test_care_level_boundaries(failed: list[str], level: str, detail: str) -> None:
    got, result = assess_care(failed)
    assert got == level
    assert care_level_for_count(len(failed)) == level
    assert result.code == TK_CARE
    assert detail in result.detail_zh


def test_care_items_are_counted_once_and_validated() -> None:
    assert assess_care(["eating", "eating"])[0] == "partial"
    with pytest.raises(ValueError, match="未知的自理能力评估项目：flying"):
        assess_care(["flying"])
    with pytest.raises(ValueError):
        care_level_for_count(7)


@pytest.mark.parametrize(
    ("person", "code", "passed", "detail"),
    [
        (member(born=date(1966, 3, 1)), TK_NO_LABOUR, True,
         "年满 60 周岁（60 周岁，第五条（一））"),
        (member(born=date(1966, 3, 2)), TK_NO_LABOUR, False,
         "59 周岁，不属于老年人或未满 16 周岁的未成年人；无残疾人证"),
        (member(born=date(2010, 3, 2)), TK_NO_LABOUR, True, "未满 16 周岁（15 周岁"),
        (member(born=date(2010, 3, 1)), TK_NO_LABOUR, False, "16 周岁"),
        (member(grade=2, dtype="physical"), TK_NO_LABOUR, True, "二级肢体残疾（第五条（三））"),
        (member(grade=2), TK_NO_LABOUR, False, "二级残疾（类别未登记），无法按残疾类别认定"),
        (member(grade=2, dtype="hearing"), TK_NO_LABOUR, False,
         "二级听力残疾不属于第五条（三）所列情形"),
        (member(grade=3), TK_NO_LABOUR, False, "45 周岁"),
        (member(income=55999), TK_NO_INCOME, True, "本人月收入 559.99 元 < 低保标准 560.00 元"),
        (member(income=56000), TK_NO_INCOME, False, "本人月收入 560.00 元 ≥ 低保标准 560.00 元"),
        (member(), TK_NO_SUPPORTER, True, "无法定义务人，或义务人无履行能力"),
        (member(supporter=True), TK_NO_SUPPORTER, False,
         "有具备履行能力的法定赡养、抚养、扶养义务人"),
        (member(assets=(Asset("vehicle", 1),)), MT_VEHICLE, False, "拥有非生产用机动车辆 1 辆"),
    ],
)  # fmt: skip
def test_eligibility_conditions(person: MemberFacts, code: str, passed: bool, detail: str) -> None:
    decision = assess_tekun_eligibility_with(person, config(), ON)
    result = decision.result(code)
    assert result.passed is passed
    assert detail in result.detail_zh


def test_eligible_person_explanation() -> None:
    person = member(born=date(1950, 1, 1), name="赵老汉")
    decision = assess_tekun_eligibility(person, seed_table(), ON)
    assert decision.outcome == "eligible"
    text = decision.explain_zh()
    assert "[TK-NO-LABOUR] 无劳动能力：年满 60 周岁（76 周岁，第五条（一））" in text
    assert "（依据民发〔2021〕43号 第五条）：通过" in text
    assert "[TK-NO-INCOME] 无生活来源：本人月收入 0.00 元 < 低保标准 560.00 元" in text
    assert "[TK-NO-SUPPORTER] 无履行义务能力的法定义务人" in text
    assert text.endswith("结论：符合特困人员认定条件")
    assert "2026-01-01 起施行" in text


def test_all_three_conditions_must_hold() -> None:
    person = member(born=date(1950, 1, 1), supporter=True)
    decision = assess_tekun_eligibility_with(person, config(), ON)
    assert decision.outcome == "ineligible"
    assert [r.code for r in decision.failed()] == [TK_NO_SUPPORTER]


@pytest.mark.parametrize(
    ("failed", "setting", "basic", "care", "detail"),
    [
        ([], "dispersed", 72800, 20000,
         "基本生活标准 728.00 元（1.3 × 低保标准 560.00 元，向上取整到分）"
         " + 护理补贴 200.00 元（全自理） = 928.00 元；分散供养（居家）"),
        (ITEMS[:2], "centralised", 72800, 60000, "护理补贴 600.00 元（部分护理） = 1328.00 元"),
        (ITEMS[:5], "centralised", 72800, 120000, "护理补贴 1200.00 元（全护理） = 1928.00 元"),
    ],
)  # fmt: skip
def test_tekun_amount(failed: list[str], setting: str, basic: int, care: int, detail: str) -> None:
    amount = tekun_amount(config(), failed, setting, ON)  # type: ignore[arg-type]
    assert (amount.basic_fen, amount.care_fen, amount.total_fen) == (basic, care, basic + care)
    assert detail in amount.decision.result(TK_STANDARD).detail_zh


def test_basic_standard_rounds_up_to_fen() -> None:
    # 1.3 × 555.55 = 722.215 → 722.22 (never below the legal floor)
    cfg = config(dibao_standard_fen=55555)
    assert tekun_amount(cfg, [], "dispersed").basic_fen == 72222
    cfg = config(dibao_standard_fen=55555, tekun=replace(config().tekun, ratio=Decimal("1.5")))
    assert tekun_amount(cfg, [], "dispersed").basic_fen == 83333  # 833.325 → 833.33


def test_bad_setting_is_refused() -> None:
    with pytest.raises(ValueError):
        tekun_amount(config(), [], "home")  # type: ignore[arg-type]


@given(st.integers(1, 10**7), st.decimals("1.3", "3", places=3), st.sets(st.sampled_from(ITEMS)))
def test_basic_standard_is_never_below_ratio_times_standard(
    standard: int, ratio: Decimal, failed: set[str]
) -> None:
    cfg: PolicyConfig = config(
        dibao_standard_fen=standard, tekun=replace(config().tekun, ratio=ratio)
    )
    amount = tekun_amount(cfg, failed, "dispersed")
    assert Decimal(amount.basic_fen) >= ratio * standard
    assert Decimal(amount.basic_fen) - ratio * standard < 1
    assert amount.total_fen >= amount.basic_fen >= 0
