"""In a real browser: a district approver signs off a batch of 低保 cases from the batch page,
each household with its own persons, class and amount."""

from __future__ import annotations

from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server
from sqlalchemy import select, update
from support import T0
from walker import Walker

from caseflow.db.models import Case, MemberIncome
from caseflow.kernel.money import format_yuan
from caseflow.payments import entitlements
from caseflow.workflow.registry import registry


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_district_approver_batch_approves_households_of_different_sizes(
    page: Any, server: Server
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    world = server.world
    walker = Walker(world, T0)
    dibao = registry().workflow("dibao")
    four, five = world.household(size=4), world.household(size=5)
    five.members[0].incomes.append(MemberIncome(source="wages", monthly_fen=60000))
    world.session.commit()
    small = walker.walk_household(four.id, dibao, "district_review")
    large = walker.walk_household(five.id, dibao, "district_review")
    relative = walker.walk_household(world.household(size=2).id, dibao, "district_review")
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
    assert page.locator("#queue-list input[type=checkbox]").count() == 0
    page.click("#batch-link")
    page.wait_for_selector("#batch-choose")
    options = page.locator("#batch-choose select[name=op] option").all_inner_texts()
    # The placeholder and the approver's sign-offs (低保, 特困, 备案, 复核调整); no roll action.
    assert len(options) <= 5 and not any("发放" in o for o in options)
    page.select_option("#batch-choose select[name=op]", "dibao:approve")
    page.click("#batch-choose button:has-text('列出可办理的案件')")
    page.wait_for_selector("#batch-rows")
    assert page.locator(f"tr[data-case-id='{relative.id}']").count() == 0
    assert "区级入户核查" in page.inner_text("#batch-held")
    row4 = page.locator(f"tr[data-case-id='{small.id}']")
    row5 = page.locator(f"tr[data-case-id='{large.id}']")
    assert row4.locator(".household-size").inner_text() == "4"
    assert row4.locator(".covered-count").inner_text() == "4"
    assert row5.locator(".household-size").inner_text() == "5"
    assert row5.locator(".covered-count").inner_text() == "5"
    amount4 = row4.locator(".amount").inner_text().split()[0]
    amount5 = row5.locator(".amount").inner_text().split()[0]
    assert amount4 != amount5
    shot(page, "queue-01-batch-plan")
    page.click("#batch-form button[type=submit]")
    page.wait_for_selector("#batch-outcomes")
    assert "已办理 2 件" in page.inner_text("#batch-summary").replace(" ", " ")
    shot(page, "queue-02-batch-result")
    world.session.rollback()
    states = dict(
        world.session.execute(
            select(Case.id, Case.state).where(Case.id.in_([small.id, large.id, relative.id]))
        ).all()
    )
    assert states == {small.id: "approved", large.id: "approved", relative.id: "district_review"}
    for case, size, shown in ((small, 4, amount4), (large, 5, amount5)):
        granted = entitlements.latest(world.session, case.id)
        assert granted is not None and len(granted.covered_member_ids) == size
        assert format_yuan(granted.amount_fen) == shown
    page.click("a:has-text('返回待办')")
    page.wait_for_selector("#queue-tabs")
    assert page.inner_text("#queue-tabs a[data-tab=all] .count") == "1"
