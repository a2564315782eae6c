"""In a real browser: a clerk corrects a household — its telephone and bank, a newborn added, a
member who died removed with the reason — and reads the history; a mistaken intake is voided by
the township reviewer (作废（误受理）), which the window cannot do."""

from __future__ import annotations

from datetime import date
from typing import Any

from e2esupport import Server
from test_journeys import act, shot, sign_in, sign_out

from caseflow.db.models import Case
from caseflow.engine.fire import open_case
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.timeutil import utcnow


def test_household_corrections_and_void_journey(page: Any, server: Server) -> None:
    world = server.world
    hh = world.household(size=3)
    mistaken = open_case(world.session, "dibao", hh.id, world.actor("clerk"), utcnow())
    newborn = make_id_number("640502", date(2026, 1, 15), 555)

    sign_in(page, server, "clerk")
    page.goto(f"{server.url}/desk/households/{hh.id}")
    page.click("a:has-text('修改家庭信息')")
    page.fill("input[name=phone]", "1399551")  # too short: refused beside the field
    page.select_option("select[name=bank_name]", "宁夏银行")
    page.click("button:has-text('保存修改')")
    page.wait_for_selector(".error-summary")
    errors = page.locator(".field-error").all_inner_texts()
    assert any("电话" in e for e in errors) and any("变更原因" in e for e in errors)
    page.fill("input[name=phone]", "13995512345")
    page.select_option("select[name=reason]", "info_changed")
    page.fill("input[name=note]", "更换手机号和代发银行")
    page.click("button:has-text('保存修改')")
    page.wait_for_selector(".flash-success")
    assert "第 1 版" in page.inner_text(".flash-success")
    shot(page, "corrections-01-household-edited")

    page.click("a:has-text('增加成员')")
    page.fill("input[name='members-0-name']", "王小宝")
    page.fill("input[name='members-0-id_number']", newborn)
    page.select_option("select[name='members-0-relation']", "子女")
    page.select_option("select[name=reason]", "birth")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".flash-success")
    members = page.inner_text("table.list")
    assert "王小宝" in members and newborn not in members  # the number is masked

    page.click("tr:has-text('家人2') a:has-text('减少')")
    page.fill("input[name=left_on]", "2026-02-28")
    page.select_option("select[name=reason]", "death")
    page.fill("input[name=note]", "死亡医学证明 2026-031")
    page.click("button:has-text('确认成员减少')")
    page.wait_for_selector(".flash-success")
    history = page.inner_text("#history")
    assert (
        "第 3 版 · 成员减少：家人2" in history and "原因：死亡（死亡医学证明 2026-031）" in history
    )
    assert "第 2 版 · 增加成员：王小宝" in history
    assert "联系电话：— → 13995512345" in history
    assert "已离开本户的成员" in page.inner_text("body")
    shot(page, "corrections-02-history")

    page.goto(f"{server.url}/cases/{mistaken.id}")
    assert page.locator("form[data-trigger='void_intake']").count() == 0  # not the window's
    sign_out(page)

    sign_in(page, server, "reviewer")
    page.goto(f"{server.url}/cases/{mistaken.id}")
    act(page, "void_intake", {"void_reason": "受理了错误的家庭", "reason": "应为邻户王二明"})
    shot(page, "corrections-03-voided")
    assert "作废（误受理）" in page.inner_text(".flash-success")
    assert "应为邻户王二明" in page.inner_text("body")
    world.session.rollback()
    world.session.expire_all()  # the case was loaded when it was opened
    voided = world.session.get(Case, mistaken.id)
    assert voided is not None and voided.state == "voided"
    shot(page, "corrections-03-voided")
