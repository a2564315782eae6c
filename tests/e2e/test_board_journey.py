"""A supervisor drills down from the overdue board (督办) to an overdue case, in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server

from caseflow.db.engine import make_session_factory
from caseflow.engine.fire import open_case
from caseflow.kernel.timeutil import utcnow
from caseflow.timer.sweep import sweep


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_supervisor_drills_down_from_the_board_to_an_overdue_case(
    page: Any, server: Server
) -> None:
    world = server.world
    now = utcnow()
    # Accepted five weeks ago and never investigated: overdue, and escalated by the sweep.
    hh = world.household()
    late = open_case(
        world.session,
        "dibao",
        hh.id,
        world.actor("clerk"),
        now - timedelta(days=35),
        summary="e2e 逾期案件",
    )
    fresh = open_case(
        world.session, "dibao", world.household().id, world.actor("clerk"), now, summary="e2e"
    )
    assert not sweep(make_session_factory(world.session.get_bind()), now).failed

    page.goto(server.url + "/login")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")
    assert page.locator("#inbox-unread").inner_text().strip() != ""  # escalation notices
    page.click("header nav a:has-text('督办')")
    page.wait_for_selector("h1:has-text('督办看板')")
    assert page.locator("svg#chart-aging rect.bar").count() == 4
    number = page.locator("#overdue-table tbody a.count[data-township='640502100']").first
    assert number.inner_text().strip() == "1"
    shot(page, "board-01-supervisor-board")
    number.click()
    page.wait_for_selector("#drill-list")
    assert late.case_no in page.inner_text("#drill-list")
    assert fresh.case_no not in page.inner_text("#drill-list")
    shot(page, "board-02-drill-down")
    page.click(f"a.case-link:has-text('{late.case_no}')")
    page.wait_for_selector(".state-badge")
    assert late.case_no in page.inner_text("h1")
    assert "已逾期" in page.content() or "逾期" in page.inner_text("main")
    shot(page, "board-03-overdue-case")
