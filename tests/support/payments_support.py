"""Helpers of the payment tests: approved cases at a chosen moment, walked through fire."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support import World
from walker import Walker, assessed_care_label, shortest_path

from caseflow.db.models import Case, Household
from caseflow.engine.fire import fire, open_case
from caseflow.payments.grants import compute_decision
from caseflow.payments.models import PaymentRoll, RiskFinding
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
    hh = world.session.get(Household, case.household_id)
    assert hh is not None
    hh.bank_account = account or f"62220{hh.id:011d}"
    world.session.commit()
    payload: dict[str, Any]
    if key == "dibao":
        payload = {"covered_members": [m.id for m in hh.members], "aid_class": "A"}
    else:
        payload = {"care_level": assessed_care_label(case)}
    computed = compute_decision(world.session, case, payload, when.date()).amount_fen
    if amount is None or amount == computed:
        fire(world.session, case.id, "approve", world.actor("approver"), when, payload)
    else:
        # Another amount than the rules give: a deviation with a reason, signed by two approvers.
        proposal = {**payload, "amount_fen": amount, "reason": "测试：按约定金额"}
        earlier = when - timedelta(minutes=1)
        approver = world.actor("approver")
        fire(world.session, case.id, "propose_deviation", approver, earlier, proposal)
        fire(world.session, case.id, "confirm_deviation", world.actor("approver2"), when)
    world.session.refresh(case)
    return case


def sign(
    world: World, roll: PaymentRoll, when: datetime, *, remove: dict[int, str] | None = None
) -> None:
    """Remove the `remove` rows (id → reason, by the preparer), check (township leader),
    acknowledge every finding left, sign (district finance)."""
    s = world.session
    s.rollback()
    for row_id, reason in (remove or {}).items():
        fire(
            s,
            roll.case_id,
            "remove_row",
            world.actor("reviewer"),
            when,
            {"row_id": row_id, "reason": reason},
        )
    fire(s, roll.case_id, "check", world.actor("leader"), when)
    for fid in s.scalars(select(RiskFinding.id).where(RiskFinding.roll_id == roll.id)).all():
        s.rollback()
        fire(
            s,
            roll.case_id,
            "acknowledge_finding",
            world.actor("finance"),
            when,
            {"finding_id": fid, "note": "已核实"},
        )
    s.rollback()
    fire(s, roll.case_id, "sign", world.actor("finance"), when)


def review_proposing_class_a(world: World, walker: Walker, size: int) -> tuple[Case, Case]:
    """A 低保 household of `size` approved as class C for two persons, and its review walked to
    区级确认 with an adjustment to class A for everyone proposed (each step through fire)."""
    hh = world.household(size=size)
    case = walker.walk_household(hh.id, registry().workflow("dibao"), "district_review")
    ids = sorted(m.id for m in hh.members)
    terms = {"covered_members": ids[:2], "aid_class": "C"}
    fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), terms)
    review = open_case(world.session, "review", hh.id, world.actor("reviewer"), walker.tick())
    for t in shortest_path(registry().workflow("review"), "township_review"):
        walker.step(review, t)
    proposal = {"aid_class": "A", "covered_members": ids, "reason": "家庭成员患病"}
    fire(
        world.session,
        review.id,
        "propose_adjustment",
        world.actor("reviewer"),
        walker.tick(),
        proposal,
    )
    return case, review
