"""低保 amounts: gap method or class amounts, plus top-ups, capped; and the 提标 change list.

Cap (documented rule): a household's monthly amount never exceeds
    monthly standard × covered persons + the covered persons' top-ups.
The gap method can never reach it (income is never negative); it bites when a class amount is
configured above the standard. Amounts are never negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from caseflow.policy.config import AmountMethod, PolicyConfig, PolicyError, PolicyTable
from caseflow.policy.explain import Decision, RuleResult, make_decision, yuan
from caseflow.policy.facts import HouseholdFacts, MemberFacts
from caseflow.policy.means_test import (
    SINGLE_PERSON_BASIS,
    assessed_per_capita_fen,
    own_assessed_income_fen,
    single_person_route,
)

AMT_BASE = "AMT-BASE"
AMT_TOPUP = "AMT-TOPUP"
AMT_CAP = "AMT-CAP"

METHOD_ZH = {"gap": "补差法", "class": "分档定额法"}


@dataclass(frozen=True)
class AmountResult:
    """A monthly amount in fen with its parts and the explanation."""

    amount_fen: int
    cap_fen: int
    base_fen: int
    top_ups_fen: int
    method: AmountMethod
    covered: int
    decision: Decision


def _covered_members(
    household: HouseholdFacts, covered_ids: Iterable[str] | None
) -> tuple[MemberFacts, ...]:
    members = household.sorted_members()
    if covered_ids is None:
        return members
    wanted = set(covered_ids)
    unknown = wanted - {m.id_number for m in members}
    if unknown:
        raise PolicyError(f"保障对象不在该家庭中：{', '.join(sorted(unknown))}")
    if not wanted:
        raise PolicyError("保障人数不能为 0")
    return tuple(m for m in members if m.id_number in wanted)


def member_top_ups(member: MemberFacts, config: PolicyConfig, on: date) -> list[tuple[str, int]]:
    """Every top-up this member qualifies for on `on`, as (Chinese label, fen)."""
    t = config.top_ups
    age = member.age_on(on)
    found: list[tuple[str, int]] = []
    if member.severe_disability:
        found.append(("重度残疾", t.severe_disability_fen))
    if member.serious_illness:
        found.append(("大病", t.serious_illness_fen))
    if age >= t.elderly_age:
        found.append((f"{t.elderly_age} 周岁以上老年人", t.elderly_fen))
    if age < t.minor_age:
        found.append((f"未满 {t.minor_age} 周岁", t.minor_fen))
    return found


def _top_up_result(
    covered: tuple[MemberFacts, ...], config: PolicyConfig, on: date
) -> tuple[int, RuleResult]:
    parts: list[str] = []
    total = 0
    for m in covered:
        found = member_top_ups(m, config, on)
        if not found:
            continue
        if config.top_ups.rule == "highest":
            # Ties broken by label so the chosen top-up never depends on check order.
            label, fen = max(found, key=lambda item: (item[1], item[0]))
            parts.append(f"{m.name} {label} {yuan(fen)}（就高，不重复享受）")
            total += fen
        else:
            fen = sum(f for _, f in found)
            parts.append(f"{m.name} " + " + ".join(f"{lbl} {yuan(f)}" for lbl, f in found))
            total += fen
    detail = "；".join(parts) + f"；合计 {yuan(total)}" if parts else "保障对象均无分类加发情形"
    return total, RuleResult(AMT_TOPUP, "分类加发", True, detail, {"top_ups_fen": total})


def compute_amount(
    household: HouseholdFacts,
    config: PolicyConfig,
    on: date,
    covered_ids: Iterable[str] | None = None,
    support_class: str | None = None,
    method: AmountMethod | None = None,
) -> AmountResult:
    """The monthly amount for the covered members (default: whole household) under `config`."""
    covered = _covered_members(household, covered_ids)
    n = len(covered)
    standard = config.dibao_standard_fen
    method = method or config.amount_method
    # 单人保: one member of a 低保边缘 household covered alone is treated as a one-person
    # household (参照"单人户"): the gap is taken from that member's own counted income.
    single = (
        n == 1
        and household.size > 1
        and covered[0].id_number in single_person_route(household, config).candidates
    )
    if method == "gap":
        if single:
            per_capita = own_assessed_income_fen(covered[0], config)
            income_label = f"{covered[0].name} 本人月收入"
        else:
            per_capita = assessed_per_capita_fen(household, config)
            income_label = "人均月收入"
        gap = max(0, standard - per_capita)
        base = gap * n
        base_detail = (
            f"(标准 {yuan(standard)} − {income_label} {yuan(per_capita)}) × 保障 {n} 人"
            f" = {yuan(base)}"
        )
        figures: dict[str, int | str | bool] = {"per_capita_fen": per_capita}
    else:
        if support_class not in ("A", "B", "C"):
            raise PolicyError("分档定额法须指明保障类别（A/B/C）")
        per_person = config.class_amounts.for_class(support_class)
        base = per_person * n
        base_detail = f"{support_class} 类 {yuan(per_person)} × 保障 {n} 人 = {yuan(base)}"
        figures = {"class": support_class, "per_person_fen": per_person}
    if single:
        base_detail = f"单人保（参照单人户，{SINGLE_PERSON_BASIS}）：{base_detail}"
    figures.update(
        {
            "standard_fen": standard,
            "covered": n,
            "base_fen": base,
            "method": method,
            "single_person": single,
        }
    )
    base_result = RuleResult(
        AMT_BASE, f"基本保障金（{METHOD_ZH[method]}）", True, base_detail, figures
    )

    top_ups, top_up_result = _top_up_result(covered, config, on)
    cap = standard * n + top_ups
    amount = max(0, min(base + top_ups, cap))
    if base + top_ups > cap:
        cap_detail = f"{yuan(base + top_ups)} 超过上限 {yuan(cap)}，核减为 {yuan(amount)}"
    else:
        cap_detail = f"月保障金 {yuan(amount)} ≤ 上限 {yuan(cap)}"
    cap_detail += f"（上限 = 标准 {yuan(standard)} × {n} 人 + 加发 {yuan(top_ups)}）"
    cap_result = RuleResult(
        AMT_CAP, "保障金上限", True, cap_detail, {"amount_fen": amount, "cap_fen": cap}
    )
    decision = make_decision(
        "amount",
        f"月保障金 {yuan(amount)}（保障 {n} 人）",
        (base_result, top_up_result, cap_result),
        config,
        on,
    )
    return AmountResult(amount, cap, base, top_ups, method, n, decision)


def compute_amount_on(
    household: HouseholdFacts,
    table: PolicyTable,
    on: date,
    covered_ids: Iterable[str] | None = None,
    support_class: str | None = None,
) -> AmountResult:
    """The monthly amount under the configuration in force on `on`."""
    return compute_amount(household, table.in_force(on), on, covered_ids, support_class)


@dataclass(frozen=True)
class MonthlyAmount:
    """The amount payable for one month and the configuration it came from."""

    month: date  # first day of the month
    amount_fen: int
    config_effective_from: date


def monthly_amounts(
    household: HouseholdFacts,
    table: PolicyTable,
    first_month: date,
    months: int,
    covered_ids: Iterable[str] | None = None,
    support_class: str | None = None,
) -> list[MonthlyAmount]:
    """Amounts month by month; each month uses the config in force on its first day.

    A standard effective mid-month therefore applies from the following month: payments are
    monthly and a month is never split between two standards.
    """
    ids = None if covered_ids is None else tuple(covered_ids)
    out: list[MonthlyAmount] = []
    year, month = first_month.year, first_month.month
    for _ in range(months):
        day = date(year, month, 1)
        config = table.in_force(day)
        result = compute_amount(household, config, day, ids, support_class)
        out.append(MonthlyAmount(day, result.amount_fen, config.effective_from))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True)
class RiseCase:
    """A case in payment whose amount must be recomputed when a new standard arrives."""

    case_ref: str
    household: HouseholdFacts
    covered_ids: frozenset[str] | None = None
    support_class: str | None = None


@dataclass(frozen=True)
class AmountChange:
    """One line of the 提标 list for approval."""

    case_ref: str
    old_fen: int
    new_fen: int
    difference_fen: int
    effective_from: date

    def line_zh(self) -> str:
        """E.g. "DB-2026-001：295.00 元 → 315.00 元（+20.00 元），2026-01-01 起"."""
        sign = "+" if self.difference_fen >= 0 else "−"
        return (
            f"{self.case_ref}：{yuan(self.old_fen)} → {yuan(self.new_fen)}"
            f"（{sign}{yuan(abs(self.difference_fen))}），{self.effective_from.isoformat()} 起"
        )


def standard_rise(
    cases: Iterable[RiseCase], old_config: PolicyConfig, new_config: PolicyConfig
) -> list[AmountChange]:
    """The changed amounts (old, new, difference) effective from the new config's date.

    Both amounts are computed on the new effective date from the same facts, so the difference
    shows only what the new configuration changes (not a birthday that happens to fall between).
    """
    if new_config.effective_from <= old_config.effective_from:
        raise PolicyError("新标准的施行日期必须晚于原标准")
    day = new_config.effective_from
    changes: list[AmountChange] = []
    for case in sorted(cases, key=lambda c: c.case_ref):
        ids, cls = case.covered_ids, case.support_class
        old = compute_amount(case.household, old_config, day, ids, cls).amount_fen
        new = compute_amount(case.household, new_config, day, ids, cls).amount_fen
        if old != new:
            changes.append(AmountChange(case.case_ref, old, new, new - old, day))
    return changes
