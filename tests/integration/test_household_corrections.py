"""Household corrections: each change a numbered version with who, when, why, before and after,
and an admin-log entry; field-by-field refusals that write nothing; members who leave are kept;
a change of who lives in a household in payment opens its review (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from support import T0, World
from walker import Walker

from caseflow.casework.change_models import HouseholdChange
from caseflow.casework.corrections import (
    AUDIT_ACTION,
    Why,
    add_member,
    edit_household,
    edit_member,
    household_history,
    remove_member,
)
from caseflow.casework.households import ELSEWHERE, HouseholdInput, MemberInput
from caseflow.db.models import AdminEvent, Case, Household, Member
from caseflow.engine.audit import verify_admin_chain
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.idnumber import make_id_number
from caseflow.workflow.registry import registry

NOW = T0 + timedelta(days=1)


def _form(hh: Household, **kw: str) -> HouseholdInput:
    values = {
        "org_unit_id": str(hh.org_unit_id),
        "address": hh.address,
        "phone": hh.phone,
        "bank_name": hh.bank_name,
        "bank_account": hh.bank_account,
        **kw,
    }
    return HouseholdInput(**values)


def _member_row(m: Member, **kw: str) -> MemberInput:
    values: dict[str, object] = {
        "name": m.name,
        "id_number": m.id_number,
        "relation": m.relation,
        "labour_capacity": m.labour_capacity,
        "health": m.health,
        "disability_grade": str(m.disability_grade or ""),
        "disability_type": m.disability_type or "",
        "is_student": m.is_student,
        **kw,
    }
    return MemberInput(**values)  # type: ignore[arg-type]


def _changes(world: World) -> int:
    count = world.session.scalar(select(func.count()).select_from(HouseholdChange))
    world.session.rollback()
    return int(count or 0)


def _newborn(seq: int = 901) -> MemberInput:
    return MemberInput(
        name="王小宝",
        id_number=make_id_number("640502", date(2026, 1, 15), seq),
        relation="子女",
    )


def test_a_household_edit_is_a_version_with_before_after_and_an_audit_entry(
    world: World,
) -> None:
    hh = world.household()
    clerk = world.actor("clerk")
    change = edit_household(
        world.session,
        clerk,
        hh.id,
        _form(hh, phone="139 9551 2345", bank_name="宁夏银行", address="滨河镇示例村 2 组"),
        Why("info_changed", "搬到二组"),
        NOW,
    )
    assert change.seq == 1 and change.kind == "household_edit"
    assert change.before["phone"] == "" and change.after["phone"] == "13995512345"
    assert change.before["address"] == "滨河镇示例村 1 组"
    assert change.after["bank_name"] == "宁夏银行"
    assert change.actor_id == world.users["clerk"].id and change.note == "搬到二组"
    world.session.refresh(hh)
    assert hh.phone == "13995512345" and hh.address == "滨河镇示例村 2 组"
    event = world.session.scalars(select(AdminEvent).where(AdminEvent.action == AUDIT_ACTION)).one()
    assert event.subject == f"household:{hh.id}"
    assert event.payload["fields"] == ["address", "phone", "bank_name"]
    assert "13995512345" not in str(event.payload)  # names of fields, never their values
    assert verify_admin_chain(world.session) is None
    second = edit_household(
        world.session, clerk, hh.id, _form(hh, phone="0955-7012345"), Why("typo"), NOW
    )
    assert second.seq == 2
    assert [c.seq for c in household_history(world.session, clerk, hh.id)] == [2, 1]


def test_a_bad_edit_names_every_field_and_changes_nothing(world: World) -> None:
    hh = world.household()
    before = _changes(world)
    with pytest.raises(PayloadInvalid) as bad:
        edit_household(
            world.session,
            world.actor("clerk"),
            hh.id,
            _form(hh, phone="12345", bank_name="花旗银行", bank_account="12ab"),
            Why(""),
            NOW,
        )
    assert set(bad.value.fields) == {"phone", "bank_name", "bank_account", "reason"}
    assert "手机号" in bad.value.fields["phone"] and "代发银行" in bad.value.fields["bank_name"]
    with pytest.raises(PayloadInvalid) as other:
        edit_household(
            world.session, world.actor("clerk"), hh.id, _form(hh, phone="13995512345"),
            Why("other", ""), NOW,
        )  # fmt: skip
    assert "说明" in other.value.fields["note"]
    with pytest.raises(PayloadInvalid) as same:
        edit_household(world.session, world.actor("clerk"), hh.id, _form(hh), Why("typo"), NOW)
    assert same.value.fields == {"form": "没有修改任何内容"}
    assert _changes(world) == before
    world.session.refresh(hh)
    assert hh.phone == ""


def test_the_village_changes_only_within_the_township(world: World) -> None:
    from caseflow.accounts.orgs import add_unit

    hh = world.household()
    second = add_unit(world.session, "640502100002", "二村", "village", world.township)
    elsewhere = add_unit(world.session, "640502101001", "文昌村", "village", world.other_township)
    world.session.commit()
    clerk = world.actor("clerk")
    with pytest.raises(PayloadInvalid) as refused:
        edit_household(
            world.session, clerk, hh.id, _form(hh, org_unit_id=str(elsewhere.id)),
            Why("moved_in_township"), NOW,
        )  # fmt: skip
    assert "区民政局办理迁移" in refused.value.fields["org_unit_id"]
    change = edit_household(
        world.session, clerk, hh.id, _form(hh, org_unit_id=str(second.id)),
        Why("moved_in_township"), NOW,
    )  # fmt: skip
    assert (change.before["village"], change.after["village"]) == ("示例村", "二村")
    world.session.refresh(hh)
    assert hh.org_path == second.path


def test_members_are_added_corrected_and_removed_but_never_deleted(world: World) -> None:
    hh = world.household(size=3)
    clerk = world.actor("clerk")
    added = add_member(world.session, clerk, hh.id, _newborn(), Why("birth"), NOW)
    assert added.kind == "member_add" and added.before == {}
    assert added.after["name"] == "王小宝" and added.after["birth_date"] == "2026-01-15"
    world.session.refresh(hh)
    assert len(hh.members) == 4
    spouse = hh.members[1]
    edited = edit_member(
        world.session, clerk, hh.id, spouse.id,
        _member_row(spouse, labour_capacity="partial", health="chronic"),
        Why("circumstances", "患慢性病"), NOW,
    )  # fmt: skip
    assert (edited.before["labour_capacity"], edited.after["labour_capacity"]) == (
        "full",
        "partial",
    )
    child = hh.members[2]
    removed = remove_member(
        world.session, clerk, hh.id, child.id, "2026-02-20", Why("marriage_out"), NOW
    )
    assert removed.before["left_on"] is None and removed.after["left_on"] == "2026-02-20"
    world.session.expire_all()
    hh = world.session.get(Household, hh.id)  # type: ignore[assignment]
    assert child.id not in [m.id for m in hh.members]
    kept = world.session.get(Member, child.id)
    assert kept is not None and kept.left_reason == "结婚迁出" and kept.left_on == date(2026, 2, 20)
    assert child.id in [m.id for m in hh.all_members]
    kinds = [c.kind for c in household_history(world.session, clerk, hh.id)]
    assert kinds == ["member_remove", "member_edit", "member_add"]


def test_member_refusals_write_nothing(world: World) -> None:
    hh = world.household(size=2)
    other = world.household(unit=world.other_township)
    clerk = world.actor("clerk")
    before = _changes(world)
    elsewhere = _member_row(other.members[0], relation="子女")
    with pytest.raises(PayloadInvalid) as registered:
        add_member(world.session, clerk, hh.id, elsewhere, Why("moved_in"), NOW)
    assert registered.value.fields["members-0-id_number"] == ELSEWHERE
    with pytest.raises(PayloadInvalid) as head:
        add_member(
            world.session,
            clerk,
            hh.id,
            dataclasses.replace(_newborn(), relation="户主"),
            Why("birth"),
            NOW,
        )
    assert "已有户主" in head.value.fields["members-0-relation"]
    head_member, spouse = hh.members
    with pytest.raises(PayloadInvalid) as unchanged:
        edit_member(world.session, clerk, hh.id, spouse.id, _member_row(spouse), Why("typo"), NOW)
    assert unchanged.value.fields == {"form": "没有修改任何内容"}
    with pytest.raises(PayloadInvalid) as promote:
        edit_member(
            world.session, clerk, hh.id, spouse.id, _member_row(spouse, relation="户主"),
            Why("typo"), NOW,
        )  # fmt: skip
    assert "户主" in promote.value.fields["members-0-relation"]
    with pytest.raises(PayloadInvalid) as future:
        remove_member(world.session, clerk, hh.id, spouse.id, "2027-01-01", Why("death"), NOW)
    assert future.value.fields["left_on"] == "日期不能晚于今天"
    with pytest.raises(PayloadInvalid) as no_head:
        remove_member(world.session, clerk, hh.id, head_member.id, "2026-03-01", Why("death"), NOW)
    assert "新户主" in no_head.value.fields["new_head_id"]
    with pytest.raises(PermissionDenied):
        add_member(world.session, world.actor("inv1"), hh.id, _newborn(), Why("birth"), NOW)
    with pytest.raises(CaseNotFound):  # another township's household is not found at all
        add_member(world.session, clerk, other.id, _newborn(), Why("birth"), NOW)
    assert _changes(world) == before


def test_when_the_head_dies_the_named_member_becomes_head(world: World) -> None:
    hh = world.household(size=2)
    clerk = world.actor("clerk")
    head_member, spouse = hh.members
    change = remove_member(
        world.session, clerk, hh.id, head_member.id, "2026-03-01", Why("death"), NOW,
        new_head_id=str(spouse.id),
    )  # fmt: skip
    assert change.after["new_head"] == {"member_id": spouse.id, "name": "家人1"}
    world.session.expire_all()
    hh = world.session.get(Household, hh.id)  # type: ignore[assignment]
    assert hh.head_name == "家人1" and [m.relation for m in hh.members] == ["户主"]
    with pytest.raises(PayloadInvalid) as last:
        remove_member(world.session, clerk, hh.id, spouse.id, "2026-03-01", Why("death"), NOW)
    assert "至少保留一名成员" in last.value.fields["member"]


def _in_payment(world: World) -> tuple[Walker, Household]:
    walker = Walker(world, T0)
    hh = world.household(size=3)
    walker.walk_household(hh.id, registry().workflow("dibao"), "approved")
    return walker, hh


def test_a_change_of_members_in_a_household_in_payment_opens_its_review(world: World) -> None:
    walker, hh = _in_payment(world)
    clerk = world.actor("clerk")
    address = edit_household(
        world.session, clerk, hh.id, _form(hh, address="新地址"), Why("info_changed"),
        walker.tick(),
    )  # fmt: skip
    assert address.review_case_id is None  # an address changes nothing the rules read
    child = hh.members[2]
    removed = remove_member(
        world.session, clerk, hh.id, child.id, "2026-03-01", Why("moved_out"), walker.tick()
    )
    assert removed.review_case_id is not None
    review = world.session.get(Case, removed.review_case_id)
    assert review is not None and review.case_type == "review" and review.state == "scheduled"
    assert review.household_id == hh.id and "第十三条" in review.summary
    # A second change while the review is open is covered by the same review.
    added = add_member(world.session, clerk, hh.id, _newborn(902), Why("birth"), walker.tick())
    assert added.review_case_id == review.id
    reviews = world.session.scalar(
        select(func.count()).where(Case.household_id == hh.id, Case.case_type == "review")
    )
    assert reviews == 1


def test_a_household_not_in_payment_gets_no_review(world: World) -> None:
    hh = world.household(size=2)
    change = add_member(world.session, world.actor("clerk"), hh.id, _newborn(), Why("birth"), NOW)
    assert change.review_case_id is None
    assert world.session.scalar(select(func.count()).select_from(Case)) == 0
