"""The means test line by line: how each recorded income, asset and expense was treated, and why.

The rule results (caseflow.policy.means_test) give the totals; staff and applicants also need to
see, for every line the investigators recorded, whether it was counted, left out or deducted and
on what ground. Lines come out per member in the order the facts hold them.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseflow.policy.config import DEDUCTION_BASIS, PolicyConfig
from caseflow.policy.explain import yuan
from caseflow.policy.facts import (
    ASSET_KIND_ZH,
    EXPENSE_KIND_ZH,
    INCOME_SOURCE_ZH,
    Asset,
    HouseholdFacts,
    MemberFacts,
)
from caseflow.policy.means_test import EXCLUDED_INCOME_BASIS, FINANCIAL_KINDS, deduction

SECTION_ZH = {"income": "收入", "asset": "财产", "expense": "支出"}


@dataclass(frozen=True)
class MeansLine:
    """One recorded line and its treatment (计入 / 不计入 / 扣减 / 不扣减 / 计入财产核查 …)."""

    member: str
    section: str  # income | asset | expense
    kind_zh: str
    amount_fen: int
    treatment_zh: str
    reason_zh: str
    deducted_fen: int = 0  # expenses: the part deducted from income


def _income_lines(m: MemberFacts, config: PolicyConfig) -> list[MeansLine]:
    lines = []
    for item in m.incomes:
        label = INCOME_SOURCE_ZH[item.source]
        if item.source in config.excluded_income:
            treat, why = "不计入", f"不计入家庭收入的类别（{EXCLUDED_INCOME_BASIS}）"
        else:
            treat, why = "计入", "计入家庭月收入"
        lines.append(MeansLine(m.name, "income", label, item.monthly_fen, treat, why))
    return lines


def _asset_reason(asset: Asset, config: PolicyConfig) -> tuple[str, str]:
    limits = config.property
    if asset.kind in FINANCIAL_KINDS:
        return "计入金融资产", f"与上限（{limits.financial_months} 个月标准）比较"
    if asset.kind == "vehicle":
        if limits.non_work_vehicle_excludes:
            return "排除条件", "拥有非生产用机动车辆的，不符合条件"
        return "已考虑", "本标准不以非生产用车辆为排除条件"
    if asset.kind == "housing":
        return "计入住房套数", f"住房超过 {limits.max_housing_units} 套的，不符合条件"
    if asset.employs_others and limits.employing_others_excludes:
        return "排除条件", "雇佣他人从事经营的，不符合条件"
    return "已考虑", "不作为排除条件（经营收入按收入录入）"


def _asset_lines(m: MemberFacts, config: PolicyConfig) -> list[MeansLine]:
    lines = []
    for asset in m.assets:
        treat, why = _asset_reason(asset, config)
        label = ASSET_KIND_ZH[asset.kind] + ("（雇佣他人）" if asset.employs_others else "")
        lines.append(MeansLine(m.name, "asset", label, asset.value_fen, treat, why))
    return lines


def means_lines(household: HouseholdFacts, config: PolicyConfig) -> list[MeansLine]:
    """Every recorded line of the household with its treatment under `config`.

    Deductible spending is deducted in recording order until the household's monthly cap is
    reached; what lies beyond the cap is shown as not deducted.
    """
    rules = config.deductions
    room = rules.monthly_cap_fen
    lines: list[MeansLine] = []
    for m in household.members:
        lines += _income_lines(m, config)
        lines += _asset_lines(m, config)
        for e in m.expenses:
            label = EXPENSE_KIND_ZH[e.kind]
            taken = 0
            if e.kind not in rules.kinds:
                treat, why = "不扣减", "本标准未规定此项扣减"
            elif room is None or e.monthly_fen <= room:
                taken, treat, why = e.monthly_fen, "扣减", f"按规定扣减（{DEDUCTION_BASIS}）"
                room = None if room is None else room - e.monthly_fen
            else:
                taken, room = room, 0
                treat = f"扣减 {yuan(taken)}" if taken else "不扣减"
                why = f"超过每户每月扣减上限 {yuan(rules.monthly_cap_fen or 0)} 的部分不扣减"
            lines.append(MeansLine(m.name, "expense", label, e.monthly_fen, treat, why, taken))
    # What the lines deduct is the rule's own figure: one computation, two views of it.
    assert sum(x.deducted_fen for x in lines) == deduction(household.members, config).deducted_fen
    return lines
