"""Two journeys in a real browser: the front desk, and a 低保 decision from home visit to 在保."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server

from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.timeutil import utcnow


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")


def sign_out(page: Any) -> None:
    page.click("header button:has-text('退出')")
    page.wait_for_selector("input[name=username]")


def act(page: Any, trigger: str, fields: dict[str, str] | None = None) -> None:
    """Open the action's form on the case page, fill it, submit, expect the success message."""
    form = f"form[data-trigger='{trigger}']"
    page.click(f"details:has({form}) > summary")
    for name, value in (fields or {}).items():
        field = page.locator(f"{form} [name='p_{name}']").first
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".flash-success")


def test_front_desk_journey(page: Any, server: Server) -> None:
    world = server.world
    sign_in(page, server, "clerk")
    shot(page, "01-desk-search")
    page.click("a:has-text('登记新家庭')")
    page.select_option("select[name=org_unit_id]", str(world.village.id))
    page.fill("input[name=address]", "滨河镇示例村 5 组")
    page.fill("input[name=bank_account]", "6228480000009876")
    page.fill("input[name='members-0-name']", "马秀兰")
    page.fill("input[name='members-0-id_number']", "6405021958071")  # wrong first
    page.click("button:has-text('保存家庭')")
    page.wait_for_selector(".field-error")
    assert "身份证号应为 18 位" in page.inner_text(".error-summary")
    shot(page, "02-register-errors")
    head_id = make_id_number("640502", date(1958, 7, 19), 22)
    page.fill("input[name='members-0-id_number']", head_id.lower())
    page.select_option("select[name='members-0-labour_capacity']", "none")
    page.click("button:has-text('保存家庭')")
    page.wait_for_selector("h1:has-text('马秀兰')")
    assert head_id not in page.content()
    page.click("a:has-text('最低生活保障申请')")
    page.wait_for_selector("text=未发现重复")
    for box in page.locator("input[name=supplied]").all():
        box.check()
    page.fill("textarea[name=summary]", "年老体弱，无收入来源")
    shot(page, "03-intake")
    page.click("button:has-text('受理')")
    page.wait_for_selector(".state-badge")
    case_no = page.inner_text("h1").split("·")[-1].strip()
    shot(page, "04-case-accepted")
    act(page, "start_investigation")
    sign_out(page)
    sign_in(page, server, "inv1")
    page.goto(server.url + "/cases/")
    assert case_no in page.inner_text("#mine")
    shot(page, "05-investigator-queue")


def test_decision_journey(page: Any, server: Server) -> None:
    world = server.world
    hh = world.household()
    case = open_case(world.session, "dibao", hh.id, world.actor("clerk"), utcnow(), summary="e2e")
    case_url = f"{server.url}/cases/{case.id}"
    visit = {"visit_date": "2026-03-03", "findings": "入户核实，情况属实"}
    steps: list[tuple[str, str, dict[str, str]]] = [
        ("clerk", "start_investigation", {}),
        ("inv1", "sign_home_visit", visit),
        ("inv2", "sign_home_visit", visit),
        ("inv1", "record_assessment", {}),
        ("inv1", "submit_investigation", {"summary": "符合低保条件"}),
        ("reviewer", "start_publicity", {"place": "示例村村务公开栏"}),
    ]
    current = None
    for user, trigger, fields in steps:
        if user != current:
            if current:
                sign_out(page)
            sign_in(page, server, user)
            current = user
        page.goto(case_url)
        act(page, trigger, fields)
    shot(page, "11-publicizing")
    page.goto(server.url + "/print/publicity/640502100")
    assert "王大明" in page.content()
    shot(page, "12-publicity-list")
    page.goto(case_url)
    # Only the timer ends publicity, once its seven days are over: no button for the reviewer.
    assert page.locator("form[action$='/fire/publicity_ended']").count() == 0
    fire(world.session, case.id, "publicity_ended", SYSTEM_ACTOR, utcnow() + timedelta(days=8))
    sign_out(page)
    sign_in(page, server, "approver")
    page.goto(case_url)
    preview = page.text_content("details:has(form[data-trigger='approve']) .decision-preview") or ""
    assert "按规则核定" in preview and "不能手填" in preview  # the approver confirms, not types
    computed = preview.split("按规则核定（")[1].split("）：")[1].split(" 元/月")[0]
    act(page, "approve", {"aid_class": "A"})
    assert "在保（已确认）" in page.inner_text(".state-badge")
    shot(page, "13-approved")
    page.goto(f"{server.url}/print/cases/{case.id}/decision")
    assert f"{computed} 元" in page.content()
    shot(page, "14-decision-notice")
