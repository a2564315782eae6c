"""Guardrails at the desk: no case from an empty form; a household already receiving is held,
and only a lawful reason granted by a township reviewer or leader lets a second case through
(audited, used once, for a week); the one-time notice is issued once and asks only for what is
missing (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import T0, World
from walker import Walker

from caseflow.casework.duplicates import DuplicateFound, duplicate_findings
from caseflow.casework.intake import IntakeRequest, start_case
from caseflow.casework.overrides import GRANT_ACTION, grant_override
from caseflow.db.models import AdminEvent, Case, CaseEvent
from caseflow.engine.fire import fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid, PermissionDenied
from caseflow.workflow.registry import registry

ALL_DIBAO = ("application", "hukou", "id_cards", "authorisation", "income", "property", "bank")


def _request(household_id: int, case_type: str = "dibao", **kw: object) -> IntakeRequest:
    fields: dict[str, object] = {"supplied": ("application",), "summary": "生活困难", **kw}
    return IntakeRequest(household_id, case_type, **fields)  # type: ignore[arg-type]


def _cases(world: World) -> int:
    count = int(world.session.scalar(select(func.count()).select_from(Case)) or 0)
    world.session.rollback()
    return count


def _receiving_dibao(world: World) -> tuple[Walker, int]:
    """A household with an approved 低保 case (in payment), walked through fire."""
    walker = Walker(world, T0)
    hh = world.household(size=3)
    walker.walk_household(hh.id, registry().workflow("dibao"), "approved")
    return walker, hh.id


def test_an_empty_intake_opens_no_case_and_says_what_is_missing_field_by_field(
    world: World,
) -> None:
    hh = world.household()
    before = _cases(world)
    with pytest.raises(PayloadInvalid) as empty:
        start_case(world.session, world.actor("clerk"), IntakeRequest(hh.id, "dibao"), T0)
    assert set(empty.value.fields) == {"supplied", "summary"}
    assert "最低生活保障申请书" in empty.value.fields["supplied"]
    assert "民发〔2021〕57号 第四条" in empty.value.fields["supplied"]
    assert empty.value.fields["summary"] == "请填写申请事由"
    with pytest.raises(PayloadInvalid) as no_type:
        start_case(world.session, world.actor("clerk"), IntakeRequest(hh.id, ""), T0)
    assert "case_type" in no_type.value.fields
    assert _cases(world) == before
    # The written request alone opens the case; everything else goes into the one notice.
    result = start_case(world.session, world.actor("clerk"), _request(hh.id), T0)
    assert result.notice_fired and "最低生活保障申请书（申请人签字）" not in [
        m.label for m in result.missing
    ]


def test_a_household_already_receiving_dibao_is_held_at_intake(world: World) -> None:
    walker, hh_id = _receiving_dibao(world)
    with pytest.raises(DuplicateFound) as held:
        start_case(world.session, world.actor("clerk"), _request(hh_id), walker.tick())
    assert [f.code for f in held.value.findings] == ["household_in_support"]
    assert "定期复核" in held.value.findings[0].message_zh


def test_a_household_whose_dibao_was_stopped_may_apply_again(world: World) -> None:
    walker, hh_id = _receiving_dibao(world)
    walker.walk_household(hh_id, registry().workflow("removal"), "removed")
    assert duplicate_findings(world.session, world.actor("clerk"), hh_id, "dibao") == []


def test_only_a_lawful_reason_granted_by_a_reviewer_lets_a_second_case_through_once(
    world: World,
) -> None:
    walker, hh_id = _receiving_dibao(world)
    now = walker.tick()
    tekun = _request(hh_id, "tekun")
    with pytest.raises(DuplicateFound) as held:
        start_case(world.session, world.actor("clerk"), tekun, now)
    assert [f.code for f in held.value.findings] == ["dibao_tekun_exclusive"]
    with pytest.raises(PermissionDenied):  # a clerk cannot grant it, whoever's password
        grant_override(world.session, world.actor("clerk"), hh_id, "tekun", "x", "", now)
    with pytest.raises(PayloadInvalid) as unlisted:  # a reason not on the list
        grant_override(world.session, world.actor("reviewer"), hh_id, "tekun", "因为急", "", now)
    assert "法定情形" in unlisted.value.fields["reason"]
    with pytest.raises(PayloadInvalid) as wrong:  # on the list, but not for this finding
        grant_override(
            world.session, world.actor("reviewer"), hh_id, "tekun", "member_left_household", "", now
        )
    assert "reason" in wrong.value.fields
    event = grant_override(
        world.session, world.actor("leader"), hh_id, "tekun", "dibao_member_to_tekun", "年满60", now
    )
    assert event.action == GRANT_ACTION and event.payload["reason"] == "dibao_member_to_tekun"
    result = start_case(world.session, world.actor("clerk"), tekun, walker.tick())
    opened = world.session.scalars(
        select(CaseEvent.payload).where(
            CaseEvent.case_id == result.case.id, CaseEvent.trigger == "open"
        )
    ).one()
    override = opened["duplicate_override"]
    assert override["grant_id"] == event.id and override["granted_by"] == "leader"
    assert "43号" in override["basis"] and override["findings"]
    # Used once: after the case is withdrawn, the same grant does not open another.
    fire(
        world.session, result.case.id, "withdraw", world.actor("clerk"), walker.tick(),
        {"reason": "申请人撤回"},
    )  # fmt: skip
    with pytest.raises(DuplicateFound):
        start_case(world.session, world.actor("clerk"), tekun, walker.tick())


def test_a_grant_expires_and_its_grantor_may_not_open_the_case(world: World) -> None:
    walker, hh_id = _receiving_dibao(world)
    now = walker.tick()
    tekun = _request(hh_id, "tekun")
    reviewer = world.actor("reviewer")
    grant_override(world.session, reviewer, hh_id, "tekun", "dibao_member_to_tekun", "", now)
    both = dataclasses.replace(reviewer, roles=reviewer.roles | {"clerk"})
    with pytest.raises(PermissionDenied):
        start_case(world.session, both, tekun, now + timedelta(hours=1))
    with pytest.raises(DuplicateFound):
        start_case(world.session, world.actor("clerk"), tekun, now + timedelta(days=8))
    assert (
        world.session.scalar(
            select(func.count()).select_from(AdminEvent).where(AdminEvent.action == GRANT_ACTION)
        )
        == 1
    )


def test_the_one_time_notice_is_not_issued_again_after_the_materials_were_supplied(
    world: World,
) -> None:
    hh = world.household()
    result = start_case(world.session, world.actor("clerk"), _request(hh.id), T0)
    assert result.case.state == "awaiting_materials"
    clerk = world.actor("clerk")
    fire(world.session, result.case.id, "materials_supplied", clerk, T0 + timedelta(days=2))
    with pytest.raises(GuardFailed) as again:
        fire(
            world.session, result.case.id, "request_materials", clerk, T0 + timedelta(days=3),
            {"missing_items": ["银行账户"]},
        )  # fmt: skip
    assert "不能再次告知" in again.value.message_zh and "57号 第十条" in again.value.message_zh


def test_the_notice_never_asks_for_an_item_marked_received(world: World) -> None:
    hh = world.household()
    complete = _request(hh.id, supplied=ALL_DIBAO)
    case = start_case(world.session, world.actor("clerk"), complete, T0).case
    assert case.state == "accepted"
    clerk = world.actor("clerk")
    with pytest.raises(GuardFailed) as received:
        fire(
            world.session, case.id, "request_materials", clerk, T0 + timedelta(hours=1),
            {"missing_items": ["户口簿复印件", "残疾证复印件（如有）"]},
        )  # fmt: skip
    assert "户口簿复印件" in received.value.message_zh
    assert "残疾证" not in received.value.message_zh
    ok = fire(
        world.session, case.id, "request_materials", clerk, T0 + timedelta(hours=2),
        {"missing_items": ["残疾证复印件（如有）"]},
    )  # fmt: skip
    assert ok.to_state == "awaiting_materials"
