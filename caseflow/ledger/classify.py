"""Put one comparison household into exactly one category C1–C8, with the evidence.

Precedence (DOMAIN.md): C8 > C7 > C2 among those that fit, for households on one list as well as
on both; C1 otherwise for households on both lists.
Registry only: C3 (looks eligible for 低保) or C4. 低保/特困 only: C5 (poor by the registry's line)
or C6. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from caseflow.kernel.money import format_yuan
from caseflow.ledger.units import HEAD, REGISTRY, ListHit, Person, Unit

CATEGORY_LABELS: dict[str, str] = {
    "C1": "两边均有，信息一致",
    "C2": "两边均有，属性、人口或类别不一致",
    "C3": "仅建档立卡，疑似符合低保条件",
    "C4": "仅建档立卡，不符合低保条件",
    "C5": "仅低保/特困，符合建档立卡标准",
    "C6": "仅低保/特困，不属建档立卡贫困",
    "C7": "家庭成员不一致",
    "C8": "死亡、迁出、服刑、财政供养或有车辆",
}
CATEGORIES = tuple(CATEGORY_LABELS)
EXPECTED_ATTRIBUTE = {"dibao": "低保贫困户", "tekun": "特困供养贫困户"}
ELIGIBLE_CAUSES = ("因病", "因残", "因灾")
_ELIGIBLE_CAUSE = re.compile("|".join(map(re.escape, ELIGIBLE_CAUSES)))  # one scan, not three


@dataclass(frozen=True)
class Figures:
    """The policy figures the signals use (monthly, per person, fen) and where they came from."""

    dibao_standard_fen: int
    registry_line_fen: int
    effective_from: str
    is_example: bool = False


@dataclass
class Classification:
    category: str
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)


# A roster words labour capacity in a handful of ways; cached, as it runs for every person.
@lru_cache(maxsize=1024)
def labour_level(text: str) -> str:
    """none | partial | full from the registry's or the system's wording."""
    if text in ("none", "partial", "full"):
        return text
    if ("丧失" in text and "部分" not in text) or "无劳动" in text:
        return "none"
    if any(word in text for word in ("弱", "半", "部分")):
        return "partial"
    return "full"


def _ids(units: Sequence[Unit]) -> frozenset[str]:
    return frozenset(i for u in units for i in u.ids)


def _persons(units: Sequence[Unit]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for unit in units:
        for p in unit.persons:
            found.setdefault(p.id_number, p)
    return found


def _income(units: Sequence[Unit]) -> int | None:
    return next((u.income_fen for u in units if u.income_fen is not None), None)


def classify(
    units: Sequence[Unit], hits: Mapping[str, list[ListHit]], figures: Figures
) -> Classification:
    """The one category of a comparison household built from `units`."""
    registry = [u for u in units if u.source == REGISTRY]
    assistance = [u for u in units if u.source != REGISTRY]
    found = _choose(registry, assistance, hits, figures)
    found.evidence.update(
        {
            "reasons": found.reasons,
            "registry": [u.summary() for u in registry],
            "assistance": [u.summary() for u in assistance],
            "policy": {
                "effective_from": figures.effective_from,
                "dibao_standard_fen": figures.dibao_standard_fen,
                "registry_line_fen": figures.registry_line_fen,
                "is_example": figures.is_example,
            },
        }
    )
    return found


def _choose(
    registry: list[Unit],
    assistance: list[Unit],
    hits: Mapping[str, list[ListHit]],
    figures: Figures,
) -> Classification:
    # C8 first on either side: a registry-only household whose head died is no one to invite.
    c8 = _check_c8(registry + assistance, hits)
    if c8 is not None:
        return c8
    if registry and assistance:
        return _check_c7(registry, assistance) or _check_c2(registry, assistance) or _c1()
    if registry:
        return _registry_only(registry, figures)
    return _assistance_only(assistance, figures)


def _check_c8(units: list[Unit], hits: Mapping[str, list[ListHit]]) -> Classification | None:
    found = [h for pid in sorted(_ids(units)) for h in hits.get(pid, [])]
    if not found:
        return None
    persons = _persons(units)
    reasons = [
        f"{_role(persons.get(h.id_number))}{h.name}在{h.as_dict()['label']}中（第 {h.row_no} 行）"
        for h in found
    ]
    return Classification("C8", reasons, {"other_lists": [h.as_dict() for h in found]})


def _role(person: Person | None) -> str:
    return "户主" if person is not None and person.relation == HEAD else ""


def _check_c7(registry: list[Unit], assistance: list[Unit]) -> Classification | None:
    reasons: list[str] = []
    reg_ids, ast_ids = _ids(registry), _ids(assistance)
    persons = _persons(registry + assistance)
    only_reg, only_ast = sorted(reg_ids - ast_ids), sorted(ast_ids - reg_ids)
    if only_reg:
        names = "、".join(persons[i].name for i in only_reg)
        reasons.append(f"仅建档立卡登记的成员：{names}")
    if only_ast:
        names = "、".join(persons[i].name for i in only_ast)
        reasons.append(f"仅低保/特困登记的成员：{names}")
    if len(registry) > 1:
        reasons.append(f"建档立卡中为 {len(registry)} 户，低保/特困中为一户（分户或合户）")
    by_source: dict[str, list[Unit]] = {}
    for unit in assistance:
        by_source.setdefault(unit.source, []).append(unit)
    for source_units in by_source.values():
        if len(source_units) > 1:
            reasons.append(
                f"低保/特困中为 {len(source_units)} 户，建档立卡中合为一户（分户或合户）"
            )
    if any(_ids(group) != ast_ids for group in by_source.values()):
        reasons.append("低保/特困台账与系统在保家庭的成员不一致")
    if not reasons:
        return None
    return Classification(
        "C7",
        reasons,
        {"differences": {"only_in_registry": only_reg, "only_in_assistance": only_ast}},
    )


def _check_c2(registry: list[Unit], assistance: list[Unit]) -> Classification | None:
    reasons: list[str] = []
    programs = {u.program for u in assistance if u.program}
    attribute = next((u.attribute for u in registry if u.attribute), "")
    # A child's 孤儿 allowance has no registry attribute of its own: nothing to compare.
    expected = {EXPECTED_ATTRIBUTE[p] for p in programs if p in EXPECTED_ATTRIBUTE}
    if attribute and expected and attribute not in expected:
        wanted = "或".join(sorted(expected))
        reasons.append(f"建档立卡贫困户属性为「{attribute}」，应为「{wanted}」")
    size = len(_ids(registry + assistance))
    for unit in registry + assistance:
        if unit.household_size is not None and unit.household_size != size:
            reasons.append(
                f"{_side(unit)}登记家庭人口 {unit.household_size} 人，名单中为 {size} 人"
            )
    classes = sorted({u.aid_class for u in registry + assistance if u.aid_class})
    if len(classes) > 1:
        reasons.append(f"保障类别不一致：{'、'.join(classes)}")
    if not reasons:
        return None
    return Classification("C2", reasons)


def _side(unit: Unit) -> str:
    return {"registry": "建档立卡", "system": "系统"}.get(unit.source, "低保/特困台账")


def _c1() -> Classification:
    return Classification("C1", ["两边名单均有，成员、属性、人口和类别一致"])


def _registry_only(registry: list[Unit], figures: Figures) -> Classification:
    income = _income(registry)
    persons = _persons(registry).values()
    weak = [p.name for p in persons if labour_level(p.labour_capacity) != "full"]
    causes = [u.main_cause for u in registry if _ELIGIBLE_CAUSE.search(u.main_cause)]
    below = income is not None and income < figures.dibao_standard_fen
    signals = {
        "income_fen": income,
        "below_dibao_standard": below,
        "members_without_full_labour": weak,
        "eligible_cause": causes[0] if causes else "",
    }
    standard = format_yuan(figures.dibao_standard_fen)
    if income is None:
        reasons = ["名单无人均收入，无法判断是否低于低保标准"]
    else:
        relation = "低于" if below else "不低于"
        reasons = [f"人均月收入 {format_yuan(income)} 元{relation}低保标准 {standard} 元"]
    if weak:
        reasons.append(f"无劳动能力或部分丧失劳动能力的成员：{'、'.join(weak)}")
    if causes:
        reasons.append(f"主要致贫原因：{causes[0]}")
    if below and (weak or causes):
        return Classification("C3", reasons, {"signals": signals})
    if below:
        reasons.append("无因病、因残、因灾或劳动能力缺失的情形")
    return Classification("C4", reasons, {"signals": signals})


def _assistance_only(assistance: list[Unit], figures: Figures) -> Classification:
    income = _income(assistance)
    below = income is not None and income < figures.registry_line_fen
    line = format_yuan(figures.registry_line_fen)
    signals = {"income_fen": income, "below_registry_line": below}
    if income is None:
        reasons = ["名单无人均收入，无法判断是否低于建档立卡标准，保持现状并标记未建档"]
        return Classification("C6", reasons, {"signals": signals})
    if below:
        reasons = [f"人均月收入 {format_yuan(income)} 元低于建档立卡标准 {line} 元"]
        return Classification("C5", reasons, {"signals": signals})
    reasons = [f"人均月收入 {format_yuan(income)} 元不低于建档立卡标准 {line} 元，标记未建档"]
    return Classification("C6", reasons, {"signals": signals})
