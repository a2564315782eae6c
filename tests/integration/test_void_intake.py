"""作废（误受理）: a township reviewer or leader cancels a mistaken intake with a reason, to a final
state of its own (not the applicant's withdrawal); never once 救急难 has started (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import T0, World
from walker import Walker

from caseflow.casework.duplicates import duplicate_findings
from caseflow.db.models import Case, CaseEvent
from caseflow.engine.fire import available_transitions, fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid, PermissionDenied
from caseflow.workflow.registry import registry

VOID = {"void_reason": "受理了错误的家庭", "reason": "应为邻户王二明"}


@pytest.mark.parametrize("workflow", ["dibao", "tekun", "temporary"])
def test_a_reviewer_voids_a_mistaken_intake_with_its_reason(world: World, workflow: str) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow(workflow), "investigating")
    fire(world.session, case.id, "void_intake", world.actor("reviewer"), walker.tick(), VOID)
    world.session.refresh(case)
    assert case.state == "voided" and case.is_final
    assert registry().workflow(workflow).states["voided"].label == "已作废（误受理）"
    event = world.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert event is not None and event.trigger == "void_intake"
    assert event.payload["void_reason"] == "受理了错误的家庭"
    assert event.payload["reason"] == "应为邻户王二明"
    assert event.actor_role == "township_reviewer"


def test_the_window_that_accepted_it_cannot_void_and_a_reason_is_required(world: World) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "accepted")
    with pytest.raises(PermissionDenied):
        fire(world.session, case.id, "void_intake", world.actor("clerk"), walker.tick(), VOID)
    triggers = [
        t.trigger
        for t in available_transitions(world.session, case, world.actor("clerk"), walker.tick())
    ]
    assert "void_intake" not in triggers and "withdraw" in triggers
    leader = [
        t.trigger
        for t in available_transitions(world.session, case, world.actor("leader"), walker.tick())
    ]
    assert "void_intake" in leader
    with pytest.raises(PayloadInvalid) as missing:
        fire(
            world.session, case.id, "void_intake", world.actor("leader"), walker.tick(),
            {"void_reason": "重复受理", "reason": ""},
        )  # fmt: skip
    assert "reason" in missing.value.fields
    with pytest.raises(PayloadInvalid):
        fire(
            world.session, case.id, "void_intake", world.actor("leader"), walker.tick(),
            {"void_reason": "不想办了", "reason": "x"},
        )  # fmt: skip
    world.session.refresh(case)
    assert case.state == "accepted"


def test_a_voided_household_may_apply_again(world: World) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "accepted")
    assert case.household_id is not None
    fire(world.session, case.id, "void_intake", world.actor("leader"), walker.tick(), VOID)
    findings = duplicate_findings(world.session, world.actor("clerk"), case.household_id, "dibao")
    assert findings == []


def test_no_void_once_emergency_aid_has_started(world: World) -> None:
    walker = Walker(world, T0)
    wf = registry().workflow("temporary")
    case = walker.to_state(wf, "emergency_response")
    blocked = {
        t.trigger: t.blocked_reason
        for t in available_transitions(
            world.session, case, world.actor("reviewer"), walker.tick(), include_blocked=True
        )
    }
    assert "先行救助" in (blocked["void_intake"] or "")
    with pytest.raises(GuardFailed) as refused:
        fire(world.session, case.id, "void_intake", world.actor("reviewer"), walker.tick(), VOID)
    assert "不能作废" in refused.value.message_zh
    world.session.refresh(case)
    assert case.state == "emergency_response"
    # An ordinary temporary case in the same state family is still voidable.
    plain = walker.to_state(wf, "accepted")
    fire(world.session, plain.id, "void_intake", world.actor("reviewer"), walker.tick(), VOID)
    assert world.session.get(Case, plain.id).state == "voided"  # type: ignore[union-attr]
