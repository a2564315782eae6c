"""The kinds of list a roster import can hold, with their Chinese names."""

from __future__ import annotations

REGISTRY = "registry"
DIBAO_ROSTER = "dibao_roster"
TEKUN_ROSTER = "tekun_roster"
# Other departments' lists: a person on any of them makes a 低保/特困 household C8 (removal).
OTHER_LISTS: dict[str, str] = {
    "deaths": "死亡人员名单",
    "moves": "户籍迁出名单",
    "prisoners": "服刑人员名单",
    "public_employees": "财政供养人员名单",
    "vehicle_owners": "车辆登记名单",
}
KIND_LABELS: dict[str, str] = {
    REGISTRY: "建档立卡贫困户名单",
    DIBAO_ROSTER: "低保台账",
    TEKUN_ROSTER: "特困供养台账",
    **OTHER_LISTS,
}
KINDS: tuple[str, ...] = tuple(KIND_LABELS)
ASSISTANCE_KINDS = frozenset({DIBAO_ROSTER, TEKUN_ROSTER})
HOUSEHOLD_KINDS = frozenset({REGISTRY, DIBAO_ROSTER, TEKUN_ROSTER})
