"""In a real browser: a district approver works a batch of 低保 cases from the 待办 queue."""

from __future__ import annotations

from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server
from sqlalchemy import select, update
from support import T0
from walker import Walker

from caseflow.db.models import Case
from caseflow.workflow.registry import registry


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_district_approver_works_a_batch_from_the_queue(page: Any, server: Server) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    world = server.world
    walker = Walker(world, T0)
    dibao = registry().workflow("dibao")
    cases = [walker.to_state(dibao, "district_review") for _ in range(4)]
    relative = cases[3]  # a staff relative's case: needs a district home visit first
    world.session.execute(
        update(Case).where(Case.id == relative.id).values(flag_staff_relative=True)
    )
    world.session.commit()

    page.goto(server.url + "/login")
    page.fill("input[name=username]", "approver")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")
    page.click("header nav a:has-text('待办')")
    page.wait_for_selector("#queue-tabs")
    assert page.inner_text("#queue-tabs a[data-tab=all] .count") == "4"
    for c in cases:
        assert page.locator(f"tr[data-case-id='{c.id}']").count() == 1
    page.select_option("#queue-filters select[name=case_type]", "dibao")
    page.click("#queue-filters button:has-text('筛选')")
    page.select_option("#batch select[name=op]", "dibao:approve")
    page.click("#batch button:has-text('选择')")
    page.wait_for_selector("#batch-form [name=p_aid_class]")
    for c in cases:
        page.check(f"tr[data-case-id='{c.id}'] input[name=case_id]")
    page.select_option("#batch-form [name=p_aid_class]", "A")
    # No screenshot here: taking one just before the click left headless Chromium ignoring it.
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-outcomes")
    assert "已办理 3 件" in page.inner_text("#batch-summary").replace(" ", " ")
    for c in cases[:3]:
        assert page.locator(f"tr.done[data-case-id='{c.id}']").count() == 1
    refused = page.inner_text(f"tr.refused[data-case-id='{relative.id}']")
    assert "区级入户核查" in refused
    shot(page, "queue-01-batch-result")
    world.session.rollback()
    states = world.session.scalars(
        select(Case.state).where(Case.id.in_([c.id for c in cases])).order_by(Case.id)
    ).all()
    assert states == ["approved", "approved", "approved", "district_review"]
    # Back in the queue only the refused case is left.
    page.click("a:has-text('返回待办')")
    page.wait_for_selector("#queue-tabs")
    assert page.inner_text("#queue-tabs a[data-tab=all] .count") == "1"
    shot(page, "queue-02-after-batch")
