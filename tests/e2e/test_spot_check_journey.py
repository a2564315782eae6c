"""In a real browser, the district's supervision: (a) the supervisor draws a spot-check sample,
visits one sampled home, finds the amount wrong and sends the household to a review — the
township report counts it; (b) a complaint registered at the window about a 低保 case waiting
for the district holds back its approval until the district has visited the home itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from e2esupport import Server
from payments_support import approve, at
from test_journeys import act, shot, sign_in, sign_out
from walker import Walker

from caseflow.workflow.registry import registry


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def test_a_spot_check_sample_is_drawn_and_a_finding_opens_a_review(
    page: Any, server: Server
) -> None:
    subject = approve(server.world, at(2026, 3, 20))
    sign_in(page, server, "supervisor")
    page.goto(server.url + "/spot-checks/draw")
    page.fill("#draw-form [name=rate]", "120")
    page.click("#draw-form button[type=submit]")
    assert "抽查比例须在0%到100%之间" in page.inner_text(".field-error")
    page.fill("#draw-form [name=rate]", "100")
    page.fill("#draw-form [name=seed]", "7")
    page.click("#draw-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "随机种子 7" in page.inner_text(".flash-success")
    shot(page, "spot-check-01-drawn")
    row = page.locator("#spot-cases tbody tr", has_text=subject.case_no)
    assert "随机抽取" in row.inner_text()
    row.locator("td:first-child a").click()
    assert "待区级入户核查" in page.inner_text("main")
    act(page, "sign_home_visit", {"visit_date": _today(), "findings": "子女在外务工收入未申报"})
    act(page, "record_problem", {"finding": "保障金额有误", "detail": "务工收入未计入"})
    act(page, "refer_review", {"reason": "按实际收入重新核定"})
    assert "已转入复核" in page.inner_text("main")
    shot(page, "spot-check-02-referred")
    page.goto(server.url + "/spot-checks")
    line = page.locator("#spot-report tbody tr[data-township='640502100']").inner_text()
    assert line.split("\t")[1:5] == ["1", "1", "1", "100.0%"]
    page.locator("#spot-cases a:has-text('后续案件')").click()
    assert "待复核" in page.inner_text("main")
    shot(page, "spot-check-03-review")


def test_a_complaint_makes_the_district_visit_before_the_dibao_approval(
    page: Any, server: Server
) -> None:
    world = server.world
    wf = registry().workflow("dibao")
    approve_t = wf.transition_for("district_review", "approve")
    assert approve_t is not None
    walker = Walker(world, at(2026, 3, 2, 9))
    case = walker.to_state(wf, "district_review", approve_t)
    walker.prepare(case, approve_t)

    sign_in(page, server, "clerk")
    page.goto(f"{server.url}/desk/households/{case.household_id}")
    page.click("#complain")
    page.fill("#complaint-form [name=case_no]", case.case_no)
    page.select_option("#complaint-form [name=channel]", "desk")
    page.fill("#complaint-form [name=content]", "反映该户家中有营运车辆未申报")
    page.click("#complaint-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "已受理，待核查" in page.inner_text("main")
    shot(page, "complaint-01-received")
    sign_out(page)

    sign_in(page, server, "approver")
    page.goto(f"{server.url}/cases/{case.id}")
    blocked = page.locator(".action.blocked", has_text="审核确认（批准）").inner_text()
    assert "投诉举报" in blocked and "须先完成区级入户核查" in blocked
    shot(page, "complaint-02-approval-held")
    sign_out(page)

    sign_in(page, server, "supervisor")
    page.goto(f"{server.url}/cases/{case.id}")
    act(page, "record_district_visit", {"findings": "车辆已于去年报废，家庭情况属实"})
    sign_out(page)

    sign_in(page, server, "approver")
    page.goto(f"{server.url}/cases/{case.id}")
    act(page, "approve")
    assert "在保（已确认）" in page.inner_text("main")
    shot(page, "complaint-03-approved-after-visit")
