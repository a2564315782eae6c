"""特困 (extreme poverty) support: the three eligibility conditions, care level and the standard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from caseflow.policy.config import CareLevel, PolicyConfig, PolicyError, PolicyTable
from caseflow.policy.explain import Decision, RuleResult, make_decision, yuan
from caseflow.policy.facts import MemberFacts
from caseflow.policy.means_test import excluded_income_zh, property_results

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

# 无劳动能力 by disability (民发〔2021〕43号 第五条（三）):
#   "残疾等级为一、二、三级的智力、精神残疾人，残疾等级为一、二级的肢体残疾人，
#    残疾等级为一级的视力残疾人".
# Other types (听力, 言语, 多重) are not listed; a province may add cases (第五条（四）).
# Part of the rule's definition, not an amount.
NO_LABOUR_DISABILITY_GRADES: dict[str, frozenset[int]] = {
    "intellectual": frozenset({1, 2, 3}),
    "mental": frozenset({1, 2, 3}),
    "physical": frozenset({1, 2}),
    "visual": frozenset({1}),
}
NO_LABOUR_BASIS = "民发〔2021〕43号 第五条"
NO_INCOME_BASIS = "民发〔2021〕43号 第六条"
MINOR_KEEP_BASIS = "民发〔2021〕43号 第二十四条"

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


def _disability_reason(person: MemberFacts) -> tuple[str | None, str | None]:
    """(reason it counts, reason it does not) for the person's disability under 第五条（三）."""
    grade, kind = person.disability_grade, person.disability_type
    if grade is None:
        return None, None
    if kind is None:
        return None, f"{person.disability_zh}，无法按残疾类别认定（须补录残疾类别）"
    if grade in NO_LABOUR_DISABILITY_GRADES.get(kind, frozenset()):
        return f"{person.disability_zh}（第五条（三））", None
    return None, f"{person.disability_zh}不属于第五条（三）所列情形"


def no_labour_result(
    person: MemberFacts, config: PolicyConfig, on: date, *, already_supported: bool = False
) -> RuleResult:
    """Condition 1: no labour capacity (民发〔2021〕43号 第五条) — aged 60 and over, under 16,
    or disabled by type and grade (intellectual/mental 1–3, physical 1–2, visual 1).

    `already_supported`: the person is in 特困 already (a review). A minor among them keeps the
    support to 18, and beyond while still at school (第二十四条). With the provincial switch
    `student_16_plus_no_labour` on, a minor of 16 or 17 still at school counts as well.
    """
    rules = config.tekun
    age = person.age_on(on)
    reasons: list[str] = []
    if age >= rules.elderly_age:
        reasons.append(f"年满 {rules.elderly_age} 周岁（{age} 周岁，第五条（一））")
    if age < rules.minor_age:
        reasons.append(f"未满 {rules.minor_age} 周岁（{age} 周岁，第五条（二））")
    counts, does_not = _disability_reason(person)
    if counts:
        reasons.append(counts)
    adult = rules.minor_keep_age
    if rules.student_16_plus_no_labour and rules.minor_age <= age < adult and person.is_student:
        reasons.append(
            f"年满 {rules.minor_age} 周岁仍在校就读（{age} 周岁；省级规定的其他情形，第五条（四））"
        )
    if already_supported and rules.minor_age <= age < adult:
        reasons.append(f"特困人员中的未成年人，可继续享有至 {adult} 周岁（{MINOR_KEEP_BASIS}）")
    if already_supported and age >= adult and person.is_student:
        reasons.append(f"年满 {adult} 周岁仍在校就读，可继续享有（{MINOR_KEEP_BASIS}）")
    if reasons:
        detail = "、".join(reasons)
    else:
        why = [f"{age} 周岁，不属于老年人或未满 {rules.minor_age} 周岁的未成年人"]
        if does_not:
            why.append(does_not)
        elif person.disability_grade is None:
            why.append("无残疾人证")
        if rules.minor_age <= age < adult and person.is_student:
            why.append(
                f"年满 {rules.minor_age} 周岁仍在校就读：国家规定不作为无劳动能力，"
                "本区未启用省级规定"
            )
        detail = "；".join(why)
    detail += f"（依据{NO_LABOUR_BASIS}）"
    figures: dict[str, int | str | bool] = {
        "age": age,
        "disability_grade": person.disability_grade or 0,
        "disability_type": person.disability_type or "",
        "already_supported": already_supported,
    }
    return RuleResult(TK_NO_LABOUR, "无劳动能力", bool(reasons), detail, figures)


def no_income_result(person: MemberFacts, config: PolicyConfig) -> RuleResult:
    """Condition 2: no income source — income below the 低保 standard counts as none; the
    categories of 43号 第六条第二款 (as configured) are not counted, and are listed."""
    # The national 特困 rules treat income below the local 低保 standard as "no source of living",
    # so a small pension or subsidy does not by itself disqualify; property is checked separately.
    excluded = config.tekun.excluded_income
    income = person.counted_income_fen(excluded)
    standard = config.dibao_standard_fen
    ok = income < standard
    detail = f"本人月收入 {yuan(income)} {'<' if ok else '≥'} 低保标准 {yuan(standard)}"
    left_out = excluded_income_zh((person,), excluded)
    if left_out:
        detail += f"（{left_out}）"
    detail += f"（依据{NO_INCOME_BASIS}）"
    figures: dict[str, int | str | bool] = {
        "income_fen": income,
        "excluded_income_fen": person.monthly_income_fen - income,
        "standard_fen": standard,
    }
    return RuleResult(TK_NO_INCOME, "无生活来源", ok, detail, figures)


def no_supporter_result(person: MemberFacts) -> RuleResult:
    """Condition 3: no supporter (法定赡养、抚养、扶养义务人) able to pay."""
    ok = not person.has_supporter_able_to_pay
    detail = (
        "无法定义务人，或义务人无履行能力" if ok else "有具备履行能力的法定赡养、抚养、扶养义务人"
    )
    return RuleResult(TK_NO_SUPPORTER, "无履行义务能力的法定义务人", ok, detail, {})


def assess_tekun_eligibility_with(
    person: MemberFacts, config: PolicyConfig, on: date, *, already_supported: bool = False
) -> Decision:
    """The three conditions (plus property limits) under an explicit configuration
    (`already_supported`: a review of a person in 特困, see `no_labour_result`)."""
    results = [
        no_labour_result(person, config, on, already_supported=already_supported),
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


def assess_tekun_eligibility(
    person: MemberFacts, table: PolicyTable, on: date, *, already_supported: bool = False
) -> Decision:
    """The three 特困 conditions under the configuration in force on `on`."""
    return assess_tekun_eligibility_with(
        person, table.in_force(on), on, already_supported=already_supported
    )


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
    # Rounded up: the rule says "no less than" ratio × standard, so rounding down could breach it.
    floor = config.tekun.floor_fen(standard)
    basic = config.tekun.basic_fen(standard)
    if basic < floor:  # the loader refuses such a configuration; never pay below the floor
        raise PolicyError(
            f"特困人员基本生活标准 {yuan(basic)} 低于 {ratio} × 低保标准 {yuan(standard)}"
            f" = {yuan(floor)}"
        )
    care = config.tekun.care_allowance_fen(level)
    total = basic + care
    if config.tekun.basic_standard_fen is None:
        basis = f"{ratio} × 低保标准 {yuan(standard)}，向上取整到分"
    else:
        basis = f"本区标准，不低于 {ratio} × 低保标准 {yuan(standard)} = {yuan(floor)}"
    detail = (
        f"基本生活标准 {yuan(basic)}（{basis}）"
        f" + 护理补贴 {yuan(care)}（{CARE_LEVEL_ZH[level]}） = {yuan(total)}；{SETTING_ZH[setting]}"
    )
    figures: dict[str, int | str | bool | Decimal] = {
        "ratio": ratio,
        "standard_fen": standard,
        "basic_fen": basic,
        "floor_fen": floor,
        "care_fen": care,
        "total_fen": total,
        "setting": setting,
    }
    result = RuleResult(TK_STANDARD, "特困供养标准", True, detail, figures)
    decision = make_decision(
        "amount", f"特困供养金每月 {yuan(total)}", (care_result, result), config, on
    )
    return TekunAmount(basic, care, total, level, setting, decision)
