"""Separation of duties: whoever fired a trigger named in `forbid_actors_of` on a case may not
fire the transition on it, whatever roles they hold; a near relative steps aside."""

from __future__ import annotations

import pytest
from engine_world import Desk
from support import T0

from caseflow.db.models import RelativeDeclaration
from caseflow.kernel.errors import PermissionDenied


def test_who_submitted_may_not_approve(desk: Desk) -> None:
    # `dual` holds both roles the case needs: clerk to submit, reviewer to approve.
    case_id = desk.open(by="clerk")
    desk.fire(case_id, "submit", "dual")
    desk.fire(case_id, "note", "dual", {"text": "材料齐全"})
    before = desk.snapshot(case_id)
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case_id, "approve", "dual", {"amount": 500})
    assert err.value.message_zh == "您已在本案中办理「提交审核」，按职责分离规定不能再「批准」"
    assert desk.snapshot(case_id) == before
    assert "approve" not in desk.offered(case_id, "dual")
    # A colleague with the same role may.
    assert desk.fire(case_id, "approve", "reviewer", {"amount": 500}).to_state == "approved"


def test_the_rule_looks_at_this_case_only(desk: Desk) -> None:
    elsewhere = desk.open()
    desk.fire(elsewhere, "submit", "dual")
    case_id = desk.at_checking()  # submitted by the clerk
    assert desk.fire(case_id, "approve", "dual", {"amount": 500}).to_state == "approved"


def test_who_opened_the_case_may_not_refuse_it(desk: Desk) -> None:
    # `open` is a trigger like any other for the rule, though no transition declares it.
    case_id = desk.open(by="dual")
    desk.fire(case_id, "submit", "clerk")
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case_id, "refuse", "dual")
    assert "按职责分离规定不能再「不予批准」" in err.value.message_zh
    assert desk.fire(case_id, "refuse", "reviewer").to_state == "refused"


def test_a_declared_near_relative_steps_aside(desk: Desk) -> None:
    case_id = desk.at_checking()
    reviewer = desk.actors["reviewer"]
    assert reviewer.user_id is not None
    desk.session.add(
        RelativeDeclaration(
            household_id=desk.household_id,
            staff_user_id=reviewer.user_id,
            staff_name="reviewer",
            relation="兄弟姐妹",
            declared_at=T0,
        )
    )
    desk.session.commit()
    # The declaration is on record and the desk flagged the case at intake.
    case = desk.case(case_id)
    case.flag_staff_relative = True
    desk.session.commit()
    before = desk.snapshot(case_id)
    with pytest.raises(PermissionDenied) as err:
        desk.fire(case_id, "approve", "reviewer", {"amount": 500})
    assert err.value.message_zh == "本案为您的近亲属备案案件，您须回避，不能办理"
    assert desk.snapshot(case_id) == before
    assert desk.fire(case_id, "approve", "reviewer2", {"amount": 500}).to_state == "approved"
