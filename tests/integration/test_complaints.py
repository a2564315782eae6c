"""Complaints and reports: intake linked to a case or a household, the complaint case through
fire, and a complaint about an open 低保 case holding back the approval until the district has
visited the home itself."""

from __future__ import annotations

import pytest
from payments_support import at
from sqlalchemy import func, select
from support import World
from walker import Walker

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid
from caseflow.oversight import report
from caseflow.oversight.complaints import receive_complaint
from caseflow.oversight.models import Complaint
from caseflow.workflow.registry import registry


def _form(**kw: str) -> dict[str, str]:
    return {"channel": "desk", "complainant": "李四", "content": "该户有车辆未申报", **kw}


def test_a_complaint_about_an_open_dibao_case_needs_the_district_visit_first(
    world: World,
) -> None:
    s = world.session
    walker = Walker(world, at(2026, 3, 2, 9))
    wf = registry().workflow("dibao")
    t = wf.transition_for("district_review", "approve")
    assert t is not None
    case = walker.to_state(wf, "district_review", t)
    walker.prepare(case, t)
    complaint = receive_complaint(
        s, world.actor("clerk"), _form(case_no=case.case_no), walker.tick()
    )
    assert (complaint.case_type, complaint.state, complaint.case_no[:3]) == (
        "complaint",
        "received",
        "TS-",
    )
    payload = {"covered_members": [m.id for m in case.household.members], "aid_class": "A"}
    with pytest.raises(GuardFailed) as err:
        fire(s, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    assert "投诉举报" in str(err.value) and "区级入户核查" in str(err.value)
    fire(s, case.id, "record_district_visit", world.actor("supervisor"), walker.tick(), {
        "findings": "车辆已报废，情况属实可保",
    })  # fmt: skip
    fire(s, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    s.refresh(case)
    assert case.state == "approved"
    # The complaint itself is investigated and answered through fire.
    sup = world.actor("supervisor")
    fire(s, complaint.id, "start_complaint_investigation", sup, walker.tick())
    fire(s, complaint.id, "record_complaint_result", sup, walker.tick(), {
        "result": "不属实", "findings": "车辆已报废",
    })  # fmt: skip
    fire(s, complaint.id, "answer_complainant", sup, walker.tick(), {
        "answer": "经区级入户核查，车辆已报废", "answered_by": "电话",
    })  # fmt: skip
    s.refresh(complaint)
    assert complaint.state == "answered" and complaint.is_final


def test_a_complaint_about_a_household_is_listed_in_its_township_only(world: World) -> None:
    s = world.session
    hh = world.household()
    case = receive_complaint(
        s,
        world.actor("supervisor"),
        _form(household_id=str(hh.id), channel="hotline"),
        at(2026, 4, 1),
    )
    own = report.complaints(s, world.actor("reviewer"), at(2026, 4, 2))
    assert [(x.case_id, x.channel, x.subject_case_id) for x in own] == [(case.id, "电话举报", None)]
    assert report.complaints(s, world.actor("other_reviewer"), at(2026, 4, 2)) == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"channel": "desk", "content": "x"}, "household_id"),
        ({"case_no": "DB-NOPE", "channel": "desk", "content": "x"}, "case_no"),
        ({"household_id": "{hh}", "channel": "", "content": "x"}, "channel"),
        ({"household_id": "{hh}", "channel": "desk", "content": "  "}, "content"),
    ],
)
def test_bad_intake_is_refused_field_by_field_and_nothing_written(
    world: World, form: dict[str, str], field: str
) -> None:
    s = world.session
    hh = world.household()
    filled = {k: v.format(hh=hh.id) for k, v in form.items()}
    before = s.scalar(select(func.count()).select_from(Case))
    with pytest.raises(PayloadInvalid) as err:
        receive_complaint(s, world.actor("clerk"), filled, at(2026, 4, 1))
    assert field in err.value.fields
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Case)) == before
    assert s.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_window_cannot_file_against_another_townships_household(world: World) -> None:
    hh = world.household(unit=world.other_township)
    with pytest.raises(PayloadInvalid) as err:
        receive_complaint(
            world.session, world.actor("clerk"), _form(household_id=str(hh.id)), at(2026, 4, 1)
        )
    assert err.value.fields == {"household_id": "家庭不存在或不在您的管辖范围内"}
