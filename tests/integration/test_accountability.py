"""问责 counts for a period: a deadline missed and escalated counts for the township and for who
finally moved the case on; a spot-check problem and an upheld complaint count for the township
and for who investigated and approved the case — outside the period, nothing."""

from __future__ import annotations

from datetime import date

from payments_support import approve, at
from sqlalchemy import select
from support import World

from caseflow.clock.deadlines import LEVEL_DISTRICT
from caseflow.db.models import Deadline
from caseflow.engine.fire import fire, open_case
from caseflow.oversight.accountability import accountability
from caseflow.oversight.complaints import receive_complaint
from caseflow.oversight.models import SpotCheck
from caseflow.oversight.spot_checks import draw_spot_checks

JULY = (date(2026, 7, 1), date(2026, 7, 31))


def test_findings_and_upheld_complaints_count_for_the_township_and_the_deciders(
    world: World,
) -> None:
    s = world.session
    source = approve(world, at(2026, 3, 20))
    sup = world.actor("supervisor")
    draw = draw_spot_checks(s, sup, "100", "5", at(2026, 7, 6))
    spot = s.scalars(select(SpotCheck).where(SpotCheck.draw_id == draw.id)).one()
    fire(s, spot.case_id, "sign_home_visit", sup, at(2026, 7, 7), {
        "visit_date": "2026-07-07", "findings": "收入未申报",
    })  # fmt: skip
    fire(s, spot.case_id, "record_problem", sup, at(2026, 7, 7, 11), {
        "finding": "保障金额有误", "detail": "收入未申报",
    })  # fmt: skip
    form = {"case_no": source.case_no, "channel": "district", "content": "收入未申报"}
    complaint = receive_complaint(s, sup, form, at(2026, 7, 8))
    fire(s, complaint.id, "start_complaint_investigation", sup, at(2026, 7, 9))
    fire(s, complaint.id, "record_complaint_result", sup, at(2026, 7, 9, 11), {
        "result": "部分属实", "findings": "有务工收入",
    })  # fmt: skip
    report = accountability(s, world.actor("approver"), *JULY)
    assert report.townships["滨河镇"]["spot_problem"] == 1
    assert report.townships["滨河镇"]["complaint_upheld"] == 1
    assert report.staff["approver"]["spot_problem"] == 1
    assert report.staff["approver"]["complaint_upheld"] == 1
    # The township's leader sees its own; another township's staff see nothing of it.
    assert accountability(s, world.actor("leader"), *JULY).townships["滨河镇"]["spot_problem"] == 1
    assert accountability(s, world.actor("other_reviewer"), *JULY).townships == {}
    assert (
        accountability(s, world.actor("approver"), date(2026, 8, 1), date(2026, 8, 31)).townships
        == {}
    )


def test_a_missed_and_escalated_deadline_counts_for_who_moved_the_case_on(world: World) -> None:
    s = world.session
    hh = world.household()
    case = open_case(s, "dibao", hh.id, world.actor("clerk"), at(2026, 7, 1))
    row = s.scalars(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.state == "accepted")
    ).one()
    row.level = LEVEL_DISTRICT  # the sweep's rungs, as the sweep leaves them
    s.commit()
    report = accountability(s, world.actor("supervisor"), *JULY)
    assert (
        report.townships["滨河镇"]["overdue"] == 1 and report.staff["（未办结）"]["escalated"] == 1
    )
    fire(s, case.id, "start_investigation", world.actor("reviewer"), at(2026, 7, 20))
    report = accountability(s, world.actor("supervisor"), *JULY)
    assert report.staff["reviewer"]["overdue"] == 1 and report.staff["reviewer"]["escalated"] == 1
