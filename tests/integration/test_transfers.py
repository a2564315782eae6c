"""迁移 between townships: the receiving window asks without learning where the person is, the
district approves or refuses; on approval the person leaves the old household (kept there) and
joins the new one, each side a version; an open case in the old household holds the move, and an
old household in payment gets its review (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import T0, World
from walker import Walker

from caseflow.casework.change_models import HouseholdChange, TransferRequest
from caseflow.casework.households import registered_where
from caseflow.casework.transfers import (
    LEFT_REASON,
    TransferAsk,
    decide_transfer,
    request_transfer,
    transfers_for,
)
from caseflow.db.models import Case, Household, Member
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.workflow.registry import registry

NOW = T0 + timedelta(days=1)


def _pair(world: World, size: int = 2) -> tuple[Household, Household]:
    """A receiving household here, and one in the other township whose 2nd member moves."""
    here = world.household()
    there = world.household(unit=world.other_township, size=size)
    return here, there


def _ask(member: Member, relation: str = "配偶", note: str = "婚嫁迁入") -> TransferAsk:
    return TransferAsk(member.id_number, relation, note)


def _count(world: World, model: type) -> int:
    count = world.session.scalar(select(func.count()).select_from(model))
    world.session.rollback()
    return int(count or 0)


def test_the_district_moves_a_person_and_both_households_keep_a_version(world: World) -> None:
    here, there = _pair(world)
    person = there.members[1]
    row = request_transfer(world.session, world.actor("clerk"), here.id, _ask(person), NOW)
    assert row.status == "requested" and row.from_household_id == there.id
    assert [t.id for t in transfers_for(world.session, world.actor("clerk"))] == [row.id]
    assert transfers_for(world.session, world.actor("other_clerk")) == []
    decided = decide_transfer(
        world.session, world.actor("approver"), row.id, approve=True, note="", now=NOW
    )
    assert decided.status == "done" and decided.decided_by_id == world.users["approver"].id
    world.session.expire_all()
    old = world.session.get(Member, person.id)
    assert old is not None and old.left_reason == LEFT_REASON and old.left_on is not None
    moved = world.session.scalars(
        select(Member).where(Member.household_id == here.id, Member.id_number == person.id_number)
    ).one()
    assert moved.relation == "配偶" and moved.left_on is None and moved.name == person.name
    changes = world.session.scalars(select(HouseholdChange).order_by(HouseholdChange.id)).all()
    assert [(c.household_id, c.kind) for c in changes] == [
        (there.id, "transfer_out"),
        (here.id, "transfer_in"),
    ]
    assert changes[0].after["left_on"] == "2026-03-03" and changes[1].before == {}
    # The receiving township now finds the person in its own household.
    found = registered_where(world.session, world.actor("clerk"), person.id_number)
    assert found is not None and "王大明" in found


def test_a_request_is_refused_field_by_field_and_says_nothing_of_where(world: World) -> None:
    here, there = _pair(world)
    neighbour = world.household()
    clerk = world.actor("clerk")
    with pytest.raises(PayloadInvalid) as bad:
        request_transfer(world.session, clerk, here.id, TransferAsk("123", "户主", ""), NOW)
    assert set(bad.value.fields) == {"id_number", "relation", "note"}
    with pytest.raises(PayloadInvalid) as local:
        request_transfer(world.session, clerk, here.id, _ask(neighbour.members[1]), NOW)
    assert "先在原家庭办理成员减少" in local.value.fields["id_number"]
    with pytest.raises(PayloadInvalid) as own:
        request_transfer(world.session, clerk, here.id, _ask(here.members[1]), NOW)
    assert own.value.fields["id_number"] == "该人员已是本户成员"
    request_transfer(world.session, clerk, here.id, _ask(there.members[1]), NOW)
    with pytest.raises(PayloadInvalid) as twice:
        request_transfer(world.session, clerk, neighbour.id, _ask(there.members[1]), NOW)
    assert "待审批" in twice.value.fields["id_number"]
    assert "文昌" not in str(twice.value.fields)  # never which township
    with pytest.raises(PermissionDenied):
        request_transfer(
            world.session, world.actor("approver"), here.id, _ask(here.members[0]), NOW
        )
    assert _count(world, TransferRequest) == 1


def test_a_refusal_needs_a_reason_and_moves_nobody(world: World) -> None:
    here, there = _pair(world)
    row = request_transfer(
        world.session, world.actor("clerk"), here.id, _ask(there.members[1]), NOW
    )
    with pytest.raises(PermissionDenied):
        decide_transfer(world.session, world.actor("clerk"), row.id, approve=True, note="", now=NOW)
    with pytest.raises(PayloadInvalid) as no_reason:
        decide_transfer(
            world.session, world.actor("approver"), row.id, approve=False, note="", now=NOW
        )
    assert no_reason.value.fields == {"note": "不予迁移时请填写理由"}
    refused = decide_transfer(
        world.session, world.actor("approver"), row.id, approve=False, note="户籍未迁", now=NOW
    )
    assert refused.status == "refused" and refused.decision_note == "户籍未迁"
    with pytest.raises(PayloadInvalid):  # decided once
        decide_transfer(
            world.session, world.actor("approver"), row.id, approve=True, note="", now=NOW
        )
    assert _count(world, HouseholdChange) == 0


def test_an_open_case_in_the_old_household_holds_the_move(world: World) -> None:
    here, there = _pair(world)
    case = open_case(world.session, "dibao", there.id, world.actor("other_clerk"), NOW)
    row = request_transfer(
        world.session, world.actor("clerk"), here.id, _ask(there.members[1]), NOW
    )
    with pytest.raises(PayloadInvalid) as held:
        decide_transfer(
            world.session, world.actor("approver"), row.id, approve=True, note="", now=NOW
        )
    assert case.case_no in held.value.fields["decision"] and "办结" in held.value.fields["decision"]
    assert _count(world, HouseholdChange) == 0
    fire(world.session, case.id, "withdraw", world.actor("other_clerk"), NOW, {"reason": "撤回"})
    done = decide_transfer(
        world.session, world.actor("approver"), row.id, approve=True, note="", now=NOW
    )
    assert done.status == "done"


def test_when_the_head_moves_the_spouse_heads_the_old_household(world: World) -> None:
    here, there = _pair(world, size=3)
    head = there.members[0]
    row = request_transfer(
        world.session, world.actor("clerk"), here.id, _ask(head, relation="父母"), NOW
    )
    decide_transfer(world.session, world.actor("approver"), row.id, approve=True, note="", now=NOW)
    world.session.expire_all()
    old_home = world.session.get(Household, there.id)
    assert old_home is not None and old_home.head_name == "家人1"
    assert [m.relation for m in old_home.members] == ["户主", "子女"]


def test_moving_out_of_a_household_in_payment_opens_its_review(world: World) -> None:
    walker = Walker(world, T0)
    there = world.household(size=3)  # in payment in 滨河镇; the person moves to 文昌镇
    walker.walk_household(there.id, registry().workflow("dibao"), "approved")
    here = world.household(unit=world.other_township)
    now = walker.tick()
    ask = _ask(there.members[2])
    row = request_transfer(world.session, world.actor("other_clerk"), here.id, ask, now)
    decide_transfer(world.session, world.actor("approver"), row.id, approve=True, note="", now=now)
    out = world.session.scalars(
        select(HouseholdChange).where(HouseholdChange.kind == "transfer_out")
    ).one()
    assert out.review_case_id is not None
    review = world.session.get(Case, out.review_case_id)
    assert review is not None and review.household_id == there.id
    assert review.org_path == there.org_path  # the old township reviews its own household
