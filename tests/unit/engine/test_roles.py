"""Roles: deny by default. Only a role the transition names may fire it; without one the answer
is PermissionDenied, never a guard's reason, and the action is not offered at all."""

from __future__ import annotations

import pytest
from engine_world import NOTE_MISSING, Desk

from caseflow.engine.fire import fire
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import (
    CaseNotFound,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
)


def test_a_role_the_transition_names_may_fire_it(desk: Desk) -> None:
    case_id = desk.open()
    result = desk.fire(case_id, "submit", "clerk")
    assert (result.from_state, result.to_state, result.version) == ("filed", "checking", 2)
    assert desk.events(case_id)[-1].actor_role == "clerk"


@pytest.mark.parametrize("user", ["reviewer", "approver", "supervisor"])
def test_any_other_role_is_denied_and_nothing_changes(desk: Desk, user: str) -> None:
    case_id = desk.open()
    before = desk.snapshot(case_id)
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case_id, "submit", user)
    assert err.value.message_zh == "您的角色无权执行「提交审核」"
    assert desk.snapshot(case_id) == before


def test_without_the_role_the_guards_reason_is_never_shown(desk: Desk) -> None:
    # No note on record: the approve guard would refuse — but a clerk must learn only that the
    # action is not theirs, not why it would fail for someone else.
    case_id = desk.at_checking(noted=False)
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case_id, "approve", "clerk2", {"amount": 500})
    assert NOTE_MISSING not in err.value.message_zh
    assert desk.offered(case_id, "clerk2") == {"note": None}  # not even shown as blocked
    # Whoever holds the role does see the reason.
    assert desk.offered(case_id, "reviewer")["approve"] == NOTE_MISSING


def test_the_system_actor_holds_no_role_a_workflow_does_not_name(desk: Desk) -> None:
    case_id = desk.open()
    with pytest.raises(PermissionDenied):
        fire(desk.session, case_id, "submit", SYSTEM_ACTOR, desk.tick(), reg=desk.reg)


def test_opening_needs_an_open_role(desk: Desk) -> None:
    with pytest.raises(PermissionDenied) as err:
        desk.open(by="reviewer")
    assert err.value.message_zh == "您的角色无权受理「测试申请」"


def test_of_several_roles_the_event_records_the_first_that_qualifies(desk: Desk) -> None:
    case_id = desk.open(by="dual")
    desk.fire(case_id, "note", "dual", {"text": "补充说明"})
    assert [e.actor_role for e in desk.events(case_id)] == ["clerk", "clerk"]


def test_another_townships_case_does_not_exist_for_the_actor(desk: Desk) -> None:
    # Jurisdiction comes before roles: a reviewer of another township holds the right role, yet
    # learns nothing about the case, not even that it exists.
    case_id = desk.at_checking()
    before = desk.snapshot(case_id)
    with pytest.raises(CaseNotFound):
        desk.fire(case_id, "send_back", "other_reviewer")
    assert desk.snapshot(case_id) == before
    assert desk.offered(case_id, "other_reviewer") == {}


def test_an_undeclared_trigger_and_a_trigger_from_the_wrong_state(desk: Desk) -> None:
    case_id = desk.open()
    with pytest.raises(UnknownTrigger):
        desk.fire(case_id, "teleport", "clerk")
    with pytest.raises(TransitionNotAllowed) as err:
        desk.fire(case_id, "send_back", "reviewer")
    assert err.value.message_zh == "案件当前处于「已受理」，不能执行「退回补正」"


def test_a_closed_case_offers_nothing(desk: Desk) -> None:
    case_id = desk.at_checking()
    desk.fire(case_id, "approve", "reviewer", {"amount": 500})
    case = desk.case(case_id)
    assert case.is_final and case.state == "approved"
    for user in desk.actors:
        assert desk.offered(case_id, user) == {}
    with pytest.raises(TransitionNotAllowed):
        desk.fire(case_id, "note", "reviewer", {"text": "x"})
