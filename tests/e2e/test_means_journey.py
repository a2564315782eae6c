"""An investigator on a phone (390 px): the queue, a case, income and assets for two members
on the means form (a line added without losing what was typed), the means test line by line on
the case page, a visit date in the future refused, and the visit signed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import test_small_screens
from e2esupport import ARTIFACTS, Server
from support import T0
from test_small_screens import overflow, sign_in
from walker import Walker

from caseflow.kernel.timeutil import to_local, utcnow
from caseflow.workflow.registry import registry

phone = test_small_screens.phone  # the 390 px page fixture, shared with the small-screen checks


def _line(page: Any, member: int, index: int) -> Any:
    return page.locator(f"#member-{member} fieldset.means-line").nth(index)


def _fill(line: Any, category: str, amount: str, check: str, evidence: str = "") -> None:
    line.locator("select[name$='-line']").select_option(category)
    line.locator("input[name$='-amount']").fill(amount)
    line.locator("select[name$='-check']").select_option(check)
    line.locator("input[name$='-evidence']").fill(evidence)


def test_an_investigator_records_means_and_signs_the_visit_on_a_phone(
    phone: Any, server: Server
) -> None:
    world = server.world
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "investigating")
    world.session.commit()
    head, spouse = sorted(m.id for m in case.household.members)  # type: ignore[union-attr]

    sign_in(phone, server, "inv1")
    phone.goto(f"{server.url}/queue/")
    phone.click(f"tr[data-case-id='{case.id}'] a")
    phone.wait_for_selector("#actions")
    phone.click("#means-link")
    phone.wait_for_selector("form.means-form")
    assert overflow(phone) <= 0

    _fill(_line(phone, head, 0), "income:wages", "1200", "verified", "务工单位收入证明")
    phone.click(f"#member-{head} button.add-line")  # the typed line stays, one more appears
    phone.wait_for_selector(f"#member-{head} fieldset.means-line >> nth=1")
    assert _line(phone, head, 0).locator("input[name$='-amount']").input_value() == "1200"
    assert (
        _line(phone, head, 0).locator("input[name$='-evidence']").input_value()
        == "务工单位收入证明"
    )
    _fill(_line(phone, head, 1), "asset:deposit", "6000", "verified", "银行存款查询回执")
    _fill(_line(phone, spouse, 0), "income:business", "", "declared")  # the amount forgotten
    phone.click("button[name=save]")
    phone.wait_for_selector("#means-errors")
    error = _line(phone, spouse, 0).locator(".field-error").first
    assert error.inner_text() == "请填写金额" and error.is_visible()
    assert _line(phone, head, 1).locator("input[name$='-amount']").input_value() == "6000"
    _line(phone, spouse, 0).locator("input[name$='-amount']").fill("300")
    assert overflow(phone) <= 0
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "small-390-means-form.png"), full_page=True)
    phone.click("button[name=save]")

    phone.wait_for_selector("#assessments .means-lines")
    table = phone.locator("#assessments .means-lines").first.inner_text()
    assert "工资性收入" in table and "存款" in table and "经营性收入" in table
    assert "本人申报，未经核对" in table and "银行存款查询回执" in table
    explain = phone.locator("#assessments pre.explain").first.text_content() or ""
    assert "家庭月收入 1500.00 元" in explain
    assert overflow(phone) <= 0

    today = to_local(utcnow()).date()
    sign = phone.locator("details.action:has(summary:has-text('入户调查签字'))")
    sign.locator("summary").click()
    sign.locator("input[name=p_visit_date]").fill((today + timedelta(days=1)).isoformat())
    sign.locator("textarea[name=p_findings]").fill("家中确有困难，与申报一致")
    sign.locator("button[type=submit]").click()
    assert "晚于今天" in phone.locator(".flash-error").inner_text()
    sign = phone.locator("details.action:has(summary:has-text('入户调查签字'))")
    sign.locator("summary").click()
    sign.locator("input[name=p_visit_date]").fill(today.isoformat())
    sign.locator("textarea[name=p_findings]").fill("家中确有困难，与申报一致")
    sign.locator("button[type=submit]").click()
    phone.wait_for_selector("text=已完成：入户调查签字")
    assert overflow(phone) <= 0
