"""Households a list ties together only by head name + village (it has no household number and
no head's ID number), where that key is ambiguous: they are kept apart and marked for a person to
decide (人工判定) instead of being merged.

Two signs of ambiguity: one list holds two heads of the same name in one village (the validator
gave the second its own key, `…#2`); or the members of one such household are, by their ID
numbers, in two or more registry households — then the household is split along the registry's
households (ID numbers first) and every part is marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from caseflow.ledger.units import REGISTRY, Person, Unit

NAME_KEY = "name:"


def _base(key: str) -> str:
    return key.split("#", 1)[0]


def _place(unit: Unit) -> str:
    return f"{unit.head_name}（{unit.township or unit.township_code or ''}{unit.village}）"


def separate_same_name(units: Sequence[Unit]) -> list[Unit]:
    """`units` with every ambiguous name-keyed household marked (`doubt`) and, where the
    registry puts its members in several households, split along them."""
    named = [u for u in units if u.key.startswith(NAME_KEY)]
    if not named:
        return list(units)
    siblings = Counter((u.import_id, u.source, _base(u.key)) for u in named)
    owner: dict[str, int] = {}
    for i, unit in enumerate(units):
        if unit.source == REGISTRY and not unit.key.startswith(NAME_KEY):
            for person in unit.persons:
                owner.setdefault(person.id_number, i)
    out: list[Unit] = []
    for unit in units:
        if not unit.key.startswith(NAME_KEY):
            out.append(unit)
            continue
        if siblings[(unit.import_id, unit.source, _base(unit.key))] > 1:
            unit.doubt = (
                f"名单无户编号和户主身份证号，同村有同名户主{_place(unit)}："
                "已按名单中的户主行分为不同家庭，请人工核定成员归属"
            )
        if unit.source == REGISTRY:
            out.append(unit)
            continue
        parts: dict[int | None, list[Person]] = {}
        for person in unit.persons:
            parts.setdefault(owner.get(person.id_number), []).append(person)
        if sum(1 for k in parts if k is not None) < 2:
            out.append(unit)
            continue
        doubt = (
            f"名单按户主姓名和村归户{_place(unit)}，其成员按身份证号在建档立卡中分属 "
            f"{sum(1 for k in parts if k is not None)} 户：已按身份证号分开，未合并，请人工核定"
        )
        for n, persons in enumerate(parts.values(), start=1):
            out.append(replace(unit, key=f"{unit.key}@{n}", persons=persons, doubt=doubt))
    return out
