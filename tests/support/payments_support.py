"""Helpers of the payment tests: approved cases at a chosen moment, walked through fire."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from support import World
from walker import Walker, shortest_path

from caseflow.casework.assessments import latest_assessment
from caseflow.db.models import Case, Household
from caseflow.engine.fire import fire, open_case
from caseflow.workflow.registry import registry

SH = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "640502100"


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SH)


def walk_on(world: World, walker: Walker, key: str, hh_id: int, target: str) -> Case:
    """A new case of `key` for an existing household, walked to `target` through fire."""
    wf = registry().workflow(key)
    opener = "reviewer" if "clerk" not in wf.open_roles else "clerk"
    case = open_case(world.session, key, hh_id, world.actor(opener), walker.tick(), summary="测试")
    for t in shortest_path(wf, target):
        walker.step(case, t)
    world.session.refresh(case)
    assert case.state == target
    return case


def approve(
    world: World,
    when: datetime,
    *,
    key: str = "dibao",
    hh_id: int | None = None,
    amount: int | None = None,
    account: str | None = None,
) -> Case:
    """An approved 低保 (or 特困) case, the approval fired at `when`."""
    walker = Walker(world, at(2026, 3, 2, 9))
    wf = registry().workflow(key)
    if hh_id is None:
        case = walker.to_state(wf, "district_review")
    else:
        case = walk_on(world, walker, key, hh_id, "district_review")
    t = wf.transition_for("district_review", "approve")
    assert t is not None
    walker.prepare(case, t)
    row = latest_assessment(world.session, case)
    assert row is not None
    cap = int(row.result.get("cap_fen") or row.amount_fen or 0)
    assert cap > 2000
    fen = min(cap, 30000) if amount is None else amount
    hh = world.session.get(Household, case.household_id)
    assert hh is not None
    hh.bank_account = account or f"62220{hh.id:011d}"
    world.session.commit()
    payload: dict[str, Any] = {"amount_fen": fen}
    if key == "dibao":
        payload |= {"covered_persons": len(hh.members), "aid_class": "A"}
    else:
        payload |= {"care_level": "全自理"}
    world.session.rollback()
    fire(world.session, case.id, "approve", world.actor("approver"), when, payload)
    world.session.refresh(case)
    return case
