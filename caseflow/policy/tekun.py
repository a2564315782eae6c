"""特困 (extreme poverty) support: the three eligibility conditions, care level and the standard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from caseflow.policy.config import CareLevel, PolicyConfig, PolicyTable
from caseflow.policy.explain import Decision, RuleResult, make_decision, round_up, yuan
from caseflow.policy.facts import MemberFacts
from caseflow.policy.means_test import property_results

Setting = Literal["centralised", "dispersed"]

TK_NO_LABOUR = "TK-NO-LABOUR"
TK_NO_INCOME = "TK-NO-INCOME"
TK_NO_SUPPORTER = "TK-NO-SUPPORTER"
TK_CARE = "TK-CARE"
TK_STANDARD = "TK-STANDARD"

# The six items of the self-care assessment, in the order of the national form.
SELF_CARE_ITEMS: dict[str, str] = {
    "eating": "吃饭",
    "dressing": "穿衣",
    "bed_transfer": "上下床",
    "toilet": "如厕",
    "walking_indoors": "室内行走",
    "bathing": "洗澡",
}
CARE_LEVEL_ZH: dict[str, str] = {"self_care": "全自理", "partial": "部分护理", "full": "全护理"}
SETTING_ZH: dict[str, str] = {
    "centralised": "集中供养（供养机构）",
    "dispersed": "分散供养（居家）",
}

# Boundaries of the national assessment: 0 items failed = self-care, 1–3 = partial, ≥ 4 = full.
# They are part of the assessment's definition (like the list of items), not a local amount.
PARTIAL_FROM_FAILED = 1
FULL_FROM_FAILED = 4


def care_level_for_count(failed: int) -> CareLevel:
    """Care level from the number of self-care items the person cannot do."""
    if not 0 <= failed <= len(SELF_CARE_ITEMS):
        raise ValueError(f"未通过项目数必须在 0–{len(SELF_CARE_ITEMS)} 之间，实际为 {failed}")
    if failed >= FULL_FROM_FAILED:
        return "full"
    if failed >= PARTIAL_FROM_FAILED:
        return "partial"
    return "self_care"


def assess_care(failed_items: Iterable[str]) -> tuple[CareLevel, RuleResult]:
    """Care level from the failed self-care items (names from SELF_CARE_ITEMS), with the reason."""
    failed = set(failed_items)
    unknown = failed - SELF_CARE_ITEMS.keys()
    if unknown:
        raise ValueError(f"未知的自理能力评估项目：{', '.join(sorted(unknown))}")
    level = care_level_for_count(len(failed))
    names = "、".join(label for key, label in SELF_CARE_ITEMS.items() if key in failed) or "无"
    detail = (
        f"六项自理能力中 {len(failed)} 项不能自理（{names}）→ {CARE_LEVEL_ZH[level]}"
        f"（0 项全自理，1–3 项部分护理，4 项及以上全护理）"
    )
    figures: dict[str, int | str | bool] = {"failed_count": len(failed), "care_level": level}
    return level, RuleResult(TK_CARE, "生活自理能力评估", True, detail, figures)


def no_labour_result(person: MemberFacts, config: PolicyConfig, on: date) -> RuleResult:
    """Condition 1: no labour capacity — elderly, under the minor age, or severely disabled."""
    rules = config.tekun
    age = person.age_on(on)
    reasons: list[str] = []
    if age >= rules.elderly_age:
        reasons.append(f"年满 {rules.elderly_age} 周岁（{age} 周岁）")
    if age < rules.minor_age:
        reasons.append(f"未满 {rules.minor_age} 周岁（{age} 周岁）")
    if person.severe_disability:
        reasons.append(f"重度残疾（{person.disability_grade} 级）")
    detail = "、".join(reasons) if reasons else (f"{age} 周岁，不属于老年人、未成年人或重度残疾人")
    figures: dict[str, int | str | bool] = {
        "age": age,
        "severe_disability": person.severe_disability,
    }
    return RuleResult(TK_NO_LABOUR, "无劳动能力", bool(reasons), detail, figures)


def no_income_result(person: MemberFacts, config: PolicyConfig) -> RuleResult:
    """Condition 2: no income source — income below the 低保 standard counts as none."""
    # The national 特困 rules treat income below the local 低保 standard as "no source of living",
    # so a small pension or subsidy does not by itself disqualify; property is checked separately.
    income = person.monthly_income_fen
    standard = config.dibao_standard_fen
    ok = income < standard
    detail = f"本人月收入 {yuan(income)} {'<' if ok else '≥'} 低保标准 {yuan(standard)}"
    figures: dict[str, int | str | bool] = {"income_fen": income, "standard_fen": standard}
    return RuleResult(TK_NO_INCOME, "无生活来源", ok, detail, figures)


def no_supporter_result(person: MemberFacts) -> RuleResult:
    """Condition 3: no supporter (法定赡养、抚养、扶养义务人) able to pay."""
    ok = not person.has_supporter_able_to_pay
    detail = (
        "无法定义务人，或义务人无履行能力" if ok else "有具备履行能力的法定赡养、抚养、扶养义务人"
    )
    return RuleResult(TK_NO_SUPPORTER, "无履行义务能力的法定义务人", ok, detail, {})


def assess_tekun_eligibility_with(person: MemberFacts, config: PolicyConfig, on: date) -> Decision:
    """The three conditions (plus property limits) under an explicit configuration."""
    results = [
        no_labour_result(person, config, on),
        no_income_result(person, config),
        *property_results((person,), config),
        no_supporter_result(person),
    ]
    ok = all(r.passed for r in results)
    return make_decision(
        "eligible" if ok else "ineligible",
        "符合特困人员认定条件" if ok else "不符合特困人员认定条件",
        results,
        config,
        on,
    )


def assess_tekun_eligibility(person: MemberFacts, table: PolicyTable, on: date) -> Decision:
    """The three 特困 conditions under the configuration in force on `on`."""
    return assess_tekun_eligibility_with(person, table.in_force(on), on)


@dataclass(frozen=True)
class TekunAmount:
    """The monthly 特困 support: basic standard plus care allowance."""

    basic_fen: int
    care_fen: int
    total_fen: int
    care_level: CareLevel
    setting: Setting
    decision: Decision


def tekun_amount(
    config: PolicyConfig,
    failed_items: Iterable[str],
    setting: Setting,
    on: date | None = None,
) -> TekunAmount:
    """Basic standard (ratio × 低保 standard, rounded up to fen) plus the care allowance."""
    level, care_result = assess_care(failed_items)
    return _amount(config, level, care_result, setting, on)


def tekun_amount_for_level(
    config: PolicyConfig, level: CareLevel, setting: Setting, on: date | None = None
) -> TekunAmount:
    """The support for an already assessed care level (an approval or 提标 recomputing it)."""
    if level not in CARE_LEVEL_ZH:
        raise ValueError(f"护理等级无效：{level!r}")
    detail = f"已评估的生活自理能力：{CARE_LEVEL_ZH[level]}"
    care_result = RuleResult(TK_CARE, "生活自理能力评估", True, detail, {"care_level": level})
    return _amount(config, level, care_result, setting, on)


def _amount(
    config: PolicyConfig,
    level: CareLevel,
    care_result: RuleResult,
    setting: Setting,
    on: date | None,
) -> TekunAmount:
    if setting not in SETTING_ZH:
        raise ValueError(f"供养方式无效：{setting!r}")
    ratio = config.tekun.ratio
    standard = config.dibao_standard_fen
    # Rounded up: the law says "no less than" ratio × standard, so rounding down could breach it.
    basic = round_up(ratio * Decimal(standard))
    care = config.tekun.care_allowance_fen(level)
    total = basic + care
    detail = (
        f"基本生活标准 {yuan(basic)}（{ratio} × 低保标准 {yuan(standard)}，向上取整到分）"
        f" + 护理补贴 {yuan(care)}（{CARE_LEVEL_ZH[level]}） = {yuan(total)}；{SETTING_ZH[setting]}"
    )
    figures: dict[str, int | str | bool | Decimal] = {
        "ratio": ratio,
        "standard_fen": standard,
        "basic_fen": basic,
        "care_fen": care,
        "total_fen": total,
        "setting": setting,
    }
    result = RuleResult(TK_STANDARD, "特困供养标准", True, detail, figures)
    decision = make_decision(
        "amount", f"特困供养金每月 {yuan(total)}", (care_result, result), config, on
    )
    return TekunAmount(basic, care, total, level, setting, decision)
