"""Payment history on the case page and the household page: months, amounts, roll and status
(signed, waiting, removed), the roll linked only for payment roles, none from voided rolls."""

from __future__ import annotations

from flask.testing import FlaskClient
from payments_support import TOWNSHIP, approve, at, sign, walk_on
from sqlalchemy import select
from support import World
from walker import Walker
from websupport import AuthActions

from caseflow.engine.fire import fire
from caseflow.payments.models import RollRow
from caseflow.payments.roll import prepare_roll
from caseflow.workflow.registry import registry


def _history(body: str) -> str:
    assert 'id="payment-history"' in body
    return body.split('id="payment-history"', 1)[1].split("</section>", 1)[0]


def test_case_and_household_pages_show_what_each_roll_paid(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    case = approve(world, at(2026, 3, 10), amount=20000)
    s, reviewer = world.session, world.actor("reviewer")
    april = prepare_roll(s, reviewer, TOWNSHIP, "2026-04", at(2026, 3, 25))
    sign(world, april, at(2026, 3, 26))
    s.rollback()
    may = prepare_roll(s, reviewer, TOWNSHIP, "2026-05", at(2026, 4, 25))
    june = prepare_roll(s, reviewer, TOWNSHIP, "2026-06", at(2026, 5, 25))
    june_row = s.scalar(select(RollRow.id).where(RollRow.roll_id == june.id))
    fire(
        s,
        june.case_id,
        "remove_row",
        reviewer,
        at(2026, 5, 26),
        {"row_id": june_row, "reason": "待核实"},
    )
    s.rollback()
    july = prepare_roll(s, reviewer, TOWNSHIP, "2026-07", at(2026, 6, 25))
    fire(s, july.case_id, "cancel", reviewer, at(2026, 6, 26), {"reason": "重编"})
    s.rollback()

    auth.login("clerk")
    body = client.get(f"/cases/{case.id}").get_data(as_text=True)
    part = _history(body)
    assert "2026年4月" in part and "200.00" in part and "已签发" in part
    assert "2026年5月" in part and "乡镇已编制" in part  # prepared, not yet paid
    assert "已移出：待核实" in part  # June's row was taken out
    assert "2026年7月" not in part  # a voided roll paid nothing
    assert "已签发合计 200.00 元" in part
    assert "/payments/" not in part  # no payments role: no link to the roll
    household = client.get(f"/desk/households/{case.household_id}").get_data(as_text=True)
    part = _history(household)
    assert "2026年4月" in part and "已移出：待核实" in part and "已签发合计 200.00 元" in part
    auth.logout()

    auth.login("reviewer")
    part = _history(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert f"/payments/{april.id}" in part and f"/payments/{may.id}" in part
    auth.logout()
    auth.login("other_reviewer")  # another township: neither the case nor its history
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_a_case_no_roll_pays_has_no_payment_section_and_an_unpaid_household_says_so(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    walker = Walker(world, at(2026, 3, 2, 9))
    removal = walk_on(world, walker, "removal", world.household().id, "district_review")
    dibao = walker.to_state(registry().workflow("dibao"), "district_review")
    auth.login("clerk")
    assert 'id="payment-history"' not in client.get(f"/cases/{removal.id}").get_data(as_text=True)
    assert "暂无发放记录" in _history(client.get(f"/cases/{dibao.id}").get_data(as_text=True))
    body = client.get(f"/desk/households/{dibao.household_id}").get_data(as_text=True)
    assert "暂无发放记录" in _history(body)
