"""In a real browser, the month's roll from preparation to the stamped printout: rows numbered
from 1, a case approved after the check paid by a supplementary roll (补发名单), a row removed by
finance after the check sends the roll back for a new check, the printout names who prepared,
checked and signed it, and the case page shows what was paid."""

from __future__ import annotations

from typing import Any

from e2esupport import Server
from payments_support import approve, at
from sqlalchemy import select
from test_journeys import act, shot, sign_in, sign_out

from caseflow.payments.models import PaymentRoll


def _serials(page: Any) -> list[str]:
    return page.locator("#rows tbody tr td:first-child").all_inner_texts()


def _prepare(page: Any, server: Server, button: str) -> None:
    page.goto(server.url + "/payments/")
    page.select_option("#prepare select[name=township]", "640502100")
    page.fill("#prepare input[name=month]", "2026-04")
    page.click(f"#prepare button:has-text('{button}')")
    page.wait_for_selector("#rows")


def _roll_ids(server: Server) -> list[int]:
    server.world.session.rollback()
    return list(server.world.session.scalars(select(PaymentRoll.id).order_by(PaymentRoll.id)))


def test_month_roll_with_a_supplement_a_recheck_and_the_stamped_printout(
    page: Any, server: Server
) -> None:
    world = server.world
    kept = approve(world, at(2026, 3, 10), amount=20000)
    doubtful = approve(world, at(2026, 3, 11), amount=30000)

    sign_in(page, server, "reviewer")
    _prepare(page, server, "编制")
    assert _serials(page) == ["1", "2"]
    shot(page, "roll-01-prepared")
    sign_out(page)
    (regular,) = _roll_ids(server)

    sign_in(page, server, "leader")
    page.goto(f"{server.url}/payments/{regular}")
    act(page, "check")
    sign_out(page)

    world.session.rollback()
    late = approve(world, at(2026, 3, 28), amount=45600)  # after the roll was checked
    sign_in(page, server, "reviewer")
    _prepare(page, server, "编制补发名单")
    assert "第1次补发名单" in page.inner_text("h1")
    assert _serials(page) == ["1"] and "456.00" in page.inner_text("#rows")
    shot(page, "roll-02-supplement")
    sign_out(page)
    supplement = _roll_ids(server)[-1]

    sign_in(page, server, "finance")
    page.goto(f"{server.url}/payments/{regular}")
    assert page.locator("form[data-trigger='sign']").count() == 1
    row = page.locator("#rows tbody tr").nth(1)
    row.locator("input[name=p_reason]").fill("户籍待核实")
    row.locator("button:has-text('移出')").click()
    page.wait_for_selector(".flash-success")
    assert "乡镇已编制" in page.inner_text("h1")
    assert page.locator("form[data-trigger='sign']").count() == 0  # a new check first
    assert _serials(page) == ["1", "—"]
    shot(page, "roll-03-back-for-recheck")
    sign_out(page)

    sign_in(page, server, "leader")
    for roll_id in (regular, supplement):
        page.goto(f"{server.url}/payments/{roll_id}")
        act(page, "check")
    sign_out(page)

    sign_in(page, server, "finance")
    for roll_id in (regular, supplement):
        page.goto(f"{server.url}/payments/{roll_id}")
        act(page, "sign")
        assert "已签发" in page.inner_text("h1")
    page.goto(f"{server.url}/payments/{regular}")
    page.click("#printout a:has-text('打印名册')")
    page.wait_for_selector("article.sheet.landscape")
    sheet = page.inner_text("article.sheet")
    assert "发放名册" in sheet and "A4 横向" in page.inner_text(".print-toolbar")
    assert "合计：1 行，1 户" in sheet and "200.00" in sheet
    for name in ("reviewer", "leader", "finance"):
        assert f"姓名：{name}" in sheet
    assert "滨河镇（盖章）" in sheet and "尚未签发" not in sheet
    shot(page, "roll-04-printout")

    page.goto(f"{server.url}/cases/{late.id}")
    history = page.inner_text("#payment-history")
    assert "2026年4月" in history and "456.00" in history and "第1次补发" in history
    assert "已签发" in history
    page.goto(f"{server.url}/cases/{doubtful.id}")
    assert "已移出：户籍待核实" in page.inner_text("#payment-history")
    page.goto(f"{server.url}/desk/households/{kept.household_id}")
    assert "已签发合计 200.00 元" in page.inner_text("#payment-history")
    shot(page, "roll-05-household-history")
