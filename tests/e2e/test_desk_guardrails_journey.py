"""In a real browser: the desk's guardrails. An empty intake form opens nothing; a household
already receiving 低保 is held until a township reviewer grants a lawful reason; the one-time
notice is offered once."""

from __future__ import annotations

from typing import Any

from e2esupport import Server
from sqlalchemy import func, select
from support import T0
from test_journeys import act, shot, sign_in, sign_out
from walker import Walker

from caseflow.db.models import Case
from caseflow.workflow.registry import registry


def _cases(server: Server) -> int:
    server.world.session.rollback()
    return int(server.world.session.scalar(select(func.count()).select_from(Case)) or 0)


def test_desk_guardrails_journey(page: Any, server: Server) -> None:
    world = server.world
    fresh = world.household()
    receiving = world.household(size=3)
    Walker(world, T0).walk_household(receiving.id, registry().workflow("dibao"), "approved")
    before = _cases(server)

    sign_in(page, server, "clerk")
    page.goto(f"{server.url}/desk/households/{fresh.id}/intake?case_type=dibao")
    page.click("button:has-text('受理')")
    page.wait_for_selector(".field-error")
    errors = page.locator(".field-error").all_inner_texts()
    assert any("未收到「最低生活保障申请书" in e for e in errors)
    assert any("请填写申请事由" in e for e in errors)
    assert _cases(server) == before
    shot(page, "desk-01-empty-form")

    page.goto(f"{server.url}/desk/households/{receiving.id}/intake?case_type=tekun")
    page.check("input[name=supplied][value=application]")
    page.fill("textarea[name=summary]", "户主年满60周岁，无收入来源")
    page.click("button:has-text('受理')")
    page.wait_for_selector("#findings")
    assert "低保与特困供养不能同时享受" in page.inner_text("#findings")
    assert page.locator("input[name=override_password]").count() == 0
    assert _cases(server) == before
    shot(page, "desk-02-held")
    sign_out(page)

    sign_in(page, server, "reviewer")
    page.goto(f"{server.url}/desk/households/{receiving.id}/override?case_type=tekun")
    page.check("input[name=reason][value=dibao_member_to_tekun]")
    page.fill("textarea[name=note]", "户主年满60周岁，经核实无劳动能力")
    page.click("button:has-text('授权受理')")
    page.wait_for_selector("#override-granted")
    shot(page, "desk-03-granted")
    sign_out(page)

    sign_in(page, server, "clerk")
    page.goto(f"{server.url}/desk/households/{receiving.id}/intake?case_type=tekun")
    page.wait_for_selector("#override-granted")
    page.check("input[name=supplied][value=application]")
    page.fill("textarea[name=summary]", "户主年满60周岁，无收入来源")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=一次性告知")  # only the written request came: the notice
    assert _cases(server) == before + 1
    world.session.rollback()
    case = world.session.scalars(
        select(Case).where(Case.household_id == receiving.id, Case.case_type == "tekun")
    ).one()
    page.goto(f"{server.url}/cases/{case.id}")
    assert "重复申请经授权受理" in page.inner_text("body")
    assert page.locator("#missing-notice").count() == 1  # printed while materials are missing
    act(page, "materials_supplied")
    # Issued once: no second notice is offered, and the notice is no longer printed from here.
    assert page.locator("#actions :text('一次性告知')").count() == 0
    assert page.locator("#missing-notice").count() == 0
    shot(page, "desk-04-notice-once")
