"""The batch planner: one action, only the cases it applies to now, each with its own values —
and firing passes each case's own values through fire (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from payments_support import review_proposing_class_a
from sqlalchemy import func, select, update
from support import T0, World
from walker import Walker

from caseflow.casework.batch import fire_batch
from caseflow.casework.claims import claim
from caseflow.db.models import Case, CaseEvent, MemberIncome
from caseflow.engine.fire import refusal
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.grants import compute_dibao
from caseflow.read.batch_plan import Confirmed, batch_actions, find_action, payloads_to_fire, plan
from caseflow.workflow.registry import registry


def _in_district_review(world: World, walker: Walker, size: int, wages_fen: int = 0) -> Case:
    """A 低保 case of a household of `size` persons (the head earning `wages_fen` a month),
    walked to 区级审核确认 through fire."""
    hh = world.household(size=size)
    if wages_fen:
        hh.members[0].incomes.append(MemberIncome(source="wages", monthly_fen=wages_fen))
        world.session.commit()
    return walker.walk_household(hh.id, registry().workflow("dibao"), "district_review")


def _approve(world: World) -> Any:
    action = find_action(world.actor("approver"), "dibao:approve")
    assert action is not None
    return action


def test_two_households_of_different_sizes_each_get_their_own_persons_and_amount(
    world: World,
) -> None:
    walker = Walker(world, T0)
    four = _in_district_review(world, walker, 4)
    five = _in_district_review(world, walker, 5, wages_fen=60000)
    approver, now = world.actor("approver"), walker.tick()
    current = plan(world.session, approver, now, _approve(world))
    rows = {r.case_id: r for r in current.rows}
    assert set(rows) == {four.id, five.id}
    assert (rows[four.id].values.household_size, rows[four.id].values.covered_count) == (4, 4)
    assert (rows[five.id].values.household_size, rows[five.id].values.covered_count) == (5, 5)
    for case in (four, five):
        members = sorted(m.id for m in case.household.members)
        aid_class = rows[case.id].values.aid_class
        expected = compute_dibao(world.session, case, members, aid_class, to_local(now).date())
        assert rows[case.id].values.amount_fen == expected.amount_fen
        assert rows[case.id].values.payload == {"covered_members": members, "aid_class": aid_class}
    assert rows[four.id].values.amount_fen != rows[five.id].values.amount_fen
    confirmed = {i: Confirmed(r.version, r.values.amount_fen) for i, r in rows.items()}
    payloads, refused = payloads_to_fire(
        plan(world.session, approver, now, _approve(world)), confirmed
    )
    assert not refused
    outcomes = fire_batch(world.session, list(confirmed), "approve", approver, now, payloads)
    assert all(o.ok for o in outcomes), outcomes
    for case in (four, five):
        granted = entitlements.latest(world.session, case.id)
        assert granted is not None
        assert granted.amount_fen == rows[case.id].values.amount_fen
        assert len(granted.covered_member_ids) == len(case.household.members)
        assert granted.aid_class == rows[case.id].values.aid_class
        event = world.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "approve")
        ).one()
        assert event.payload == rows[case.id].values.payload


def test_the_plan_lists_only_cases_the_action_applies_to_now(world: World) -> None:
    walker = Walker(world, T0)
    ready = _in_district_review(world, walker, 3)
    relative = _in_district_review(world, walker, 2)
    claimed = _in_district_review(world, walker, 2)
    earlier = Walker(world, T0).to_state(registry().workflow("dibao"), "township_review")
    world.session.execute(
        update(Case).where(Case.id == relative.id).values(flag_staff_relative=True)
    )
    world.session.commit()
    claim(world.session, claimed.id, world.actor("approver2"), walker.tick())
    events_before = world.session.scalar(select(func.count()).select_from(CaseEvent))
    current = plan(world.session, world.actor("approver"), walker.tick(), _approve(world))
    assert [r.case_id for r in current.rows] == [ready.id]
    assert earlier.id not in {r.case_id for r in current.rows}
    assert current.held_total == 2
    assert any("区级入户核查" in reason for reason in current.held)
    assert current.held.get("已由他人认领") == 1
    # Planning is a dry run: nothing was written.
    assert world.session.scalar(select(func.count()).select_from(CaseEvent)) == events_before


def test_an_amount_changed_since_confirmation_is_not_fired(world: World) -> None:
    walker = Walker(world, T0)
    case = _in_district_review(world, walker, 3)
    approver, now = world.actor("approver"), walker.tick()
    (row,) = plan(world.session, approver, now, _approve(world)).rows
    seen = {case.id: Confirmed(row.version, (row.values.amount_fen or 0) + 100)}
    payloads, refused = payloads_to_fire(plan(world.session, approver, now, _approve(world)), seen)
    assert not payloads and "核定金额已变化" in refused[case.id]
    (outcome,) = fire_batch(
        world.session, [case.id], "approve", approver, now, payloads, refused=refused
    )
    assert not outcome.ok and "重新核对" in outcome.message_zh
    world.session.refresh(case)
    assert case.state == "district_review"


def test_the_batch_menu_offers_sign_offs_only_never_roll_actions(world: World) -> None:
    keys = {u: {a.key for a in batch_actions(world.actor(u))} for u in world.users}
    assert keys["approver"] == {
        "dibao:approve",
        "tekun:approve",
        "temporary:acknowledge_filing",
        "review:approve_adjustment",
    }
    assert keys["finance"] == set()
    assert "review:conclude_unchanged" in keys["reviewer"]
    assert all(not k.startswith("roll:") for found in keys.values() for k in found)
    assert max(len(found) for found in keys.values()) <= 8
    assert find_action(world.actor("clerk"), "dibao:approve") is None


def test_refusal_names_the_reason_in_chinese_and_changes_nothing(world: World) -> None:
    walker = Walker(world, T0)
    case = _in_district_review(world, walker, 2)
    approver, now = world.actor("approver"), walker.tick()
    version = case.version
    bad_class = refusal(world.session, case, "approve", approver, now, {"aid_class": "Z"})
    assert bad_class is not None and "分类施保类别" in bad_class
    assert "aid_class" not in bad_class and "covered" not in bad_class
    assert refusal(world.session, case, "approve", world.actor("reviewer"), now, {}) is not None
    assert refusal(world.session, case, "refuse", approver, now, {}) is not None  # reasons missing
    assert refusal(world.session, case, "approve", approver, now, {"aid_class": "A"}) is None
    world.session.refresh(case)
    assert case.version == version and case.state == "district_review"


def test_a_single_person_household_is_planned_for_the_one_member_its_assessment_named(
    world: World,
) -> None:
    """单人保 (民发〔2021〕57号 第八条): a 低保边缘 household whose severely disabled member may be
    covered alone is listed with that one person, and approved so."""
    walker = Walker(world, T0)
    hh = world.household(size=2)
    head, disabled = sorted(hh.members, key=lambda m: m.id)
    head.incomes.append(MemberIncome(source="wages", monthly_fen=120000))
    disabled.disability_grade, disabled.disability_type = 1, "physical"
    disabled.labour_capacity = "none"
    world.session.commit()
    case = walker.walk_household(hh.id, registry().workflow("dibao"), "district_review")
    approver, now = world.actor("approver"), walker.tick()
    (row,) = plan(world.session, approver, now, _approve(world)).rows
    assert row.values.covered_names == (disabled.name,)
    assert (row.values.household_size, row.values.covered_count) == (2, 1)
    confirmed = {case.id: Confirmed(row.version, row.values.amount_fen)}
    payloads, _ = payloads_to_fire(plan(world.session, approver, now, _approve(world)), confirmed)
    (outcome,) = fire_batch(world.session, [case.id], "approve", approver, now, payloads)
    assert outcome.ok, outcome
    granted = entitlements.latest(world.session, case.id)
    assert granted is not None and granted.covered_member_ids == [disabled.id]


def test_review_adjustments_are_planned_each_with_its_amount_before_and_after(
    world: World,
) -> None:
    walker = Walker(world, T0)
    three_case, three = review_proposing_class_a(world, walker, 3)
    five_case, five = review_proposing_class_a(world, walker, 5)
    approver, now = world.actor("approver"), walker.tick()
    action = find_action(approver, "review:approve_adjustment")
    assert action is not None and action.shows_amount
    rows = {r.case_id: r for r in plan(world.session, approver, now, action).rows}
    assert set(rows) == {three.id, five.id}
    for review, case, size in ((three, three_case, 3), (five, five_case, 5)):
        values = rows[review.id].values
        assert (values.household_size, values.covered_count, values.aid_class) == (size, size, "A")
        before = entitlements.latest(world.session, case.id)
        assert before is not None and values.previous_fen == before.amount_fen
        assert values.amount_fen is not None and values.amount_fen > before.amount_fen
    assert rows[three.id].values.amount_fen != rows[five.id].values.amount_fen
    confirmed = {i: Confirmed(r.version, r.values.amount_fen) for i, r in rows.items()}
    payloads, refused = payloads_to_fire(plan(world.session, approver, now, action), confirmed)
    assert refused == {}
    outcomes = fire_batch(world.session, list(rows), "approve_adjustment", approver, now, payloads)
    assert all(o.ok for o in outcomes), outcomes
    for review, case in ((three, three_case), (five, five_case)):
        after = entitlements.latest(world.session, case.id)
        assert after is not None and after.kind == "adjust" and after.source_case_id == review.id
        assert after.amount_fen == rows[review.id].values.amount_fen
