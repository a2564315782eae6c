"""In a real browser, a 特困 person moves into a 敬老院: the district enters the institution, the
township finds the person on the priority list and proposes the admission, records the bed the
institution confirmed, the district approves — the bed is taken on the occupancy page and next
month's roll pays the support to the institution's account."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from e2esupport import Server
from institution_support import INSTITUTION_ACCOUNT, institution_form, tekun_person
from payments_support import at
from test_journeys import act, shot, sign_in, sign_out

from caseflow.payments.months import add_months


def test_admission_to_a_nursing_home_takes_the_bed_and_pays_the_institution(
    page: Any, server: Server
) -> None:
    world = server.world
    _, person = tekun_person(world, at(2026, 3, 10))  # 半失能, living at home

    sign_in(page, server, "admin")
    page.goto(server.url + "/institutions/new")
    form = institution_form(world, licensed_beds="1", capacity_self_care="1", capacity_partial="1")
    for name in ("name", "licensed_beds", "phone", "account_name", "bank_account"):
        page.fill(f"#institution-form [name={name}]", form[name])
    for level in ("self_care", "partial", "full"):
        page.fill(f"#institution-form [name=capacity_{level}]", form[f"capacity_{level}"])
    page.select_option("#institution-form [name=kind]", "敬老院")
    page.select_option("#institution-form [name=township]", world.township.code)
    page.select_option("#institution-form [name=bank_name]", form["bank_name"])
    page.click("#institution-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#free") == "1"
    institution_url = page.url
    shot(page, "admission-01-institution")
    sign_out(page)

    sign_in(page, server, "reviewer")
    page.goto(server.url + "/institutions/priority")
    row = page.locator(f"tr[data-member-id='{person.id}']")
    assert "尚未申请集中供养" in row.inner_text()
    row.locator("a:has-text('提出入院')").click()
    page.select_option(
        "#propose-form [name=institution_id]", label="滨河镇敬老院（滨河镇，空余床位 1 张）"
    )
    page.check("#propose-form input[value=unable_alone]")
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "待供养机构确认床位" in page.inner_text("main")
    act(page, "confirm_bed", {"bed_no": "1", "confirmed_by": "李院长"})
    assert "待区级审批" in page.inner_text("main")
    case_url = page.url
    shot(page, "admission-02-bed-confirmed")
    sign_out(page)

    sign_in(page, server, "approver")
    page.goto(case_url)
    act(page, "approve_admission")
    assert "集中供养中" in page.inner_text("main")
    page.goto(institution_url)
    assert (page.inner_text("#in-use"), page.inner_text("#free")) == ("1", "0")
    assert person.name in page.inner_text("tr[data-bed='1']")
    shot(page, "admission-03-bed-taken")
    sign_out(page)

    month = add_months(datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m"), 1)
    sign_in(page, server, "reviewer")
    page.goto(server.url + "/payments/")
    page.select_option("#prepare select[name=township]", world.township.code)
    page.fill("#prepare input[name=month]", month)
    page.click("#prepare button:has-text('编制')")
    page.wait_for_selector("#rows")
    line = page.locator("#rows tbody tr", has_text="滨河镇敬老院")
    assert line.count() == 1
    assert f"集中供养（{person.name}）" in line.inner_text()
    assert INSTITUTION_ACCOUNT[-4:] in line.inner_text()
    shot(page, "admission-04-roll-line")


def test_the_institutions_own_staff_confirm_the_bed_from_their_queue(
    page: Any, server: Server
) -> None:
    """The admin opens an account for the 敬老院's staff; they sign in, find the admission in
    their 待办, confirm the bed on their institution's page, and reach no case page."""
    from caseflow.institutions.admission import propose_admission
    from caseflow.institutions.records import save_institution

    world = server.world
    _, person = tekun_person(world, at(2026, 3, 10))
    inst = save_institution(
        world.session, world.actor("admin"), institution_form(world), at(2026, 3, 1)
    )
    case = propose_admission(
        world.session, world.actor("reviewer"), person.id, inst.id, "unable_alone", at(2026, 4, 1)
    )

    sign_in(page, server, "admin")
    page.goto(server.url + "/admin/users/new")
    page.fill("input[name=username]", "jly_staff")
    page.fill("input[name=display_name]", "敬老院职工")
    page.check("input[name=roles][value=institution_staff]")
    page.select_option("select[name=institution_id]", str(inst.id))
    page.fill("input[name=password]", "Yanglao-Bed-2026!")
    page.check("input[name=active]")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".flash-success")
    sign_out(page)

    page.goto(server.url + "/login")
    page.fill("input[name=username]", "jly_staff")
    page.fill("input[name=password]", "Yanglao-Bed-2026!")
    page.click("button:has-text('登录')")
    page.wait_for_selector("#queue-list")
    nav = page.inner_text("header nav")
    assert "待办" in nav and "集中供养" in nav and "一门受理" not in nav
    page.click(f"#queue-list a:has-text('{case.case_no}')")
    row = page.locator(f"#admission-{case.id}")
    assert person.name in row.inner_text()
    row.locator("input[name=bed_no]").fill("1")
    row.locator("button:has-text('确认床位')").click()
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#reserved") == "1"
    assert "已预留（待区级审批）" in page.inner_text("tr[data-bed='1']")
    shot(page, "admission-05-institution-confirms")
    response = page.goto(server.url + f"/cases/{case.id}")
    assert response is not None and response.status == 403
