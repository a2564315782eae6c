"""In a real browser, a child comes into care: the window accepts the guardian's 孤儿 application
for a child of the household, the township reviewer approves, the district approver grants the
allowance — and the orphan list shows the child in care with the monthly allowance."""

from __future__ import annotations

from datetime import date
from typing import Any

from e2esupport import Server
from test_journeys import act, shot, sign_in, sign_out

from caseflow.db.models import Member
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local, utcnow
from caseflow.policy.store import policy_table

GUARDIAN_ID = make_id_number("640502", date(1952, 4, 1), 9)


def test_an_orphan_application_ends_with_the_child_in_care_on_the_list(
    page: Any, server: Server
) -> None:
    world = server.world
    home = world.household(size=1)  # the grandfather, 王大明, as head
    born = date(2015, 6, 1)
    child = Member(
        household_id=home.id,
        name="王小雨",
        relation="孙子女",
        sex="F",
        birth_date=born,
        id_number=make_id_number("640502", born, home.id * 10 + 6),
    )
    world.session.add(child)
    world.session.commit()

    sign_in(page, server, "clerk")
    page.goto(f"{server.url}/desk/households/{home.id}")
    page.click("a.button:has-text('孤儿及事实无人抚养儿童保障')")
    form = "#orphan-intake"
    page.select_option(f"{form} [name=child_member_id]", str(child.id))
    page.select_option(f"{form} [name=father_status]", "dead")
    page.select_option(f"{form} [name=mother_status]", "dead")
    page.select_option(f"{form} [name=setting]", "dispersed")
    page.fill(f"{form} [name=guardian_name]", "王大明")
    page.select_option(f"{form} [name=guardian_relation]", "祖父母")
    page.fill(f"{form} [name=guardian_id_number]", GUARDIAN_ID)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".flash-success")
    main = page.inner_text("main")
    assert "孤儿" in main and "王大明" in main and GUARDIAN_ID not in main
    case_url = page.url
    shot(page, "orphan-01-accepted")
    act(page, "submit_to_township")
    assert "乡镇审核" in page.inner_text("main")
    sign_out(page)

    sign_in(page, server, "reviewer")
    page.goto(case_url)
    act(page, "township_approve", {"opinion": "父母双亡，祖父监护，情况属实"})
    assert "区级审批" in page.inner_text("main")
    sign_out(page)

    sign_in(page, server, "approver")
    page.goto(case_url)
    act(page, "approve")
    assert "保障中" in page.inner_text("main")
    shot(page, "orphan-02-approved")

    page.click("header a:has-text('孤儿保障')")
    page.wait_for_selector("#orphans")
    page.select_option("#orphan-filters [name=state]", "approved")
    page.click("#orphan-filters button[type=submit]")
    page.wait_for_selector("#orphans")
    row = page.locator("#orphans tbody tr", has_text="王小雨")
    assert row.count() == 1
    text = row.inner_text()
    today = to_local(utcnow()).date()
    standard = policy_table(world.session, "640502").orphan_standard(today)[1]
    allowance = format_yuan(standard.dispersed_fen)
    for expected in ("孤儿", "社会散居", "王大明", "保障中", allowance, "2033年6月1日"):
        assert expected in text, (expected, text)
    assert child.id_number not in text  # masked on the list
    shot(page, "orphan-03-on-the-list")
