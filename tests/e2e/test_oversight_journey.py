"""Supervision end to end, in a real browser: a supervisor drills down from the board to an
overdue case, sees who holds it and writes a 督办意见; the holder finds it as one line for the
case in the inbox and on the case page; a new 救急难 case is announced to the reviewer at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from e2esupport import Server
from test_journeys import act, shot, sign_in, sign_out

from caseflow.casework.claims import claim
from caseflow.db.engine import make_session_factory
from caseflow.engine.fire import open_case
from caseflow.kernel.timeutil import utcnow
from caseflow.timer.sweep import sweep

NOTE = "请于本周内完成入户调查并报告进展"


def test_a_supervisors_note_reaches_the_holder_and_an_emergency_reaches_the_reviewer(
    page: Any, server: Server
) -> None:
    world = server.world
    now = utcnow()
    # Accepted five weeks ago, claimed by the clerk and left: overdue, escalated by the sweep.
    late = open_case(
        world.session,
        "dibao",
        world.household().id,
        world.actor("clerk"),
        now - timedelta(days=35),
        summary="e2e 督办",
    )
    claim(world.session, late.id, world.actor("clerk"), now - timedelta(days=34))
    emergency = open_case(
        world.session,
        "temporary",
        world.household().id,
        world.actor("clerk"),
        now,
        summary="e2e 房屋失火",
    )
    world.session.rollback()  # end the read transaction: the sweep writes from its own session
    assert not sweep(make_session_factory(world.session.get_bind()), now).failed

    sign_in(page, server, "supervisor")
    page.click("header nav a:has-text('督办')")
    page.wait_for_selector("h1:has-text('督办看板')")
    page.locator("#overdue-table tbody a.count[data-township='640502100']").first.click()
    row = page.locator(f"#drill-list tr[data-case-id='{late.id}']")
    assert row.locator("td.holder").inner_text().strip() == "clerk（已认领）"  # who holds it
    row.locator("details.note-form > summary").click()
    row.locator("textarea[name=note]").fill(NOTE)
    row.locator("button:has-text('发送督办意见')").click()
    page.wait_for_selector(".flash-success:has-text('督办意见已记录')")
    assert page.locator("#drill-list").count() == 1  # back on the same list
    shot(page, "oversight-01-note-written")
    sign_out(page)

    sign_in(page, server, "clerk")
    assert page.locator("#inbox-unread").inner_text().strip() != ""
    page.goto(server.url + "/inbox")
    lines = page.locator(f"#inbox-list tr[data-case-id='{late.id}']")
    assert lines.count() == 1  # one line per case, however many notices it has
    line = lines.first.inner_text()
    assert "督办意见" in line and NOTE in line
    assert "本案共" in line  # the sweep's escalation notices are grouped under it
    shot(page, "oversight-02-holder-inbox")
    lines.first.locator(f"button:has-text('{late.case_no}')").click()
    page.wait_for_selector("#supervision-notes")
    assert NOTE in page.inner_text("#supervision-notes")
    assert "supervisor" in page.inner_text("#supervision-notes")
    shot(page, "oversight-03-note-on-case")

    # The clerk starts the emergency response on a new 临时救助 case.
    page.goto(f"{server.url}/cases/{emergency.id}")
    act(page, "declare_emergency", {"emergency_kind": "急难型", "situation": "房屋失火，无处居住"})
    sign_out(page)

    sign_in(page, server, "reviewer")
    page.goto(server.url + "/inbox")
    notice = page.locator(f"#inbox-list tr[data-case-id='{emergency.id}']")
    assert notice.count() == 1
    text = notice.inner_text()
    assert "紧急待办" in text and emergency.case_no in text and "救急难" in text
    shot(page, "oversight-04-reviewer-new-work")
