"""The poverty-registry standing shown at the desk, on the case page and in the queue: from the
latest registry import (members matched by ID number) and the latest comparison."""

from __future__ import annotations

from registry_support import registry_with
from support import World

from caseflow.read.registry_status import LIFTED, MONITORED, ORDINARY, registry_statuses


def test_status_cause_and_last_category_come_from_the_latest_registry(world: World) -> None:
    lifted, monitored, ordinary = world.household(), world.household(), world.household()
    assert registry_statuses(world.session, [lifted.id])[lifted.id].status == ""  # none yet
    registry_with(world, [(lifted, "一般贫困户", "因病", {}), (ordinary, "一般贫困户", "因学", {})])
    registry_with(
        world,
        [
            (lifted, "低保贫困户", "因残", {"脱贫年度": "2019"}),
            (monitored, "一般贫困户", "因灾", {"监测类型": "突发严重困难户"}),
        ],
        category={lifted.id: "C1", monitored.id: "C3"},
        days_later=30,
    )
    found = registry_statuses(world.session, [lifted.id, monitored.id, ordinary.id])
    assert (found[lifted.id].status, found[lifted.id].cause) == (LIFTED, "因残")  # the newer list
    assert found[lifted.id].category == "C1" and "一致" in found[lifted.id].category_label
    assert (found[monitored.id].status, found[monitored.id].category) == (MONITORED, "C3")
    # On the older list only: the latest registry no longer has it.
    assert (found[ordinary.id].status, found[ordinary.id].cause, found[ordinary.id].category) == (
        ORDINARY,
        "",
        "",
    )
