"""Group households from all sources into comparison households: persons are matched by ID number;
a registry household and an assistance household that share no person are matched by their second
key (head of household + township/village) when that key is unambiguous."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from caseflow.ledger.units import REGISTRY, Unit


class _Forest:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def second_key(unit: Unit) -> tuple[str, str, str] | None:
    """(head name, township, village), or None when the head's name or the township is unknown."""
    township = unit.township_code or unit.township
    if not unit.head_name or not township:
        return None
    return unit.head_name, township, unit.village


def group_units(units: Sequence[Unit]) -> list[list[int]]:
    """Indices of `units`, grouped into comparison households (in first-appearance order)."""
    forest = _Forest(len(units))
    owner: dict[str, int] = {}
    setdefault = owner.setdefault
    for i, unit in enumerate(units):
        # The persons directly, not unit.ids: no frozenset built per unit (a repeat within one
        # unit finds itself as the owner and unites nothing).
        for person in unit.persons:
            j = setdefault(person.id_number, i)
            if j != i:
                forest.union(i, j)
    _link_by_second_key(units, forest)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(units)):
        groups[forest.find(i)].append(i)
    return list(groups.values())


def _link_by_second_key(units: Sequence[Unit], forest: _Forest) -> None:
    sides: dict[int, set[bool]] = defaultdict(set)
    for i, unit in enumerate(units):
        sides[forest.find(i)].add(unit.source == REGISTRY)
    lonely: dict[bool, dict[tuple[str, str, str], list[int]]] = {True: {}, False: {}}
    for i, unit in enumerate(units):
        root = forest.find(i)
        key = second_key(unit)
        if key is None or unit.doubt or len(sides[root]) != 1:  # an ambiguous name: no link
            continue  # already on both sides, or no usable second key
        on_registry = unit.source == REGISTRY
        roots = lonely[on_registry].setdefault(key, [])
        if root not in roots:
            roots.append(root)
    for key, registry_roots in lonely[True].items():
        assistance_roots = lonely[False].get(key, [])
        if len(registry_roots) == 1 and len(assistance_roots) == 1:
            forest.union(registry_roots[0], assistance_roots[0])
