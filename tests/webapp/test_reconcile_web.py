"""发放核对 in the web: finance sees the month's rolls against the entitlement history, with
every difference named; a bad month is a Chinese field error."""

from __future__ import annotations

from flask.testing import FlaskClient
from payments_support import TOWNSHIP, approve, at
from sqlalchemy import update
from support import World
from websupport import AuthActions

from caseflow.payments.models import RollRow
from caseflow.payments.roll import prepare_roll


def test_finance_reconciles_a_month_and_sees_a_tampered_row(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    case = approve(world, at(2026, 3, 10))
    roll = prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 4, 1))
    auth.login("finance")
    bad = client.get("/payments/reconcile?month=2026-4")
    assert bad.status_code == 400 and "月份格式应为 YYYY-MM" in bad.get_data(as_text=True)
    clean = client.get("/payments/reconcile?month=2026-04").get_data(as_text=True)
    assert "名册与保障记录一致" in clean and "核对案件 1 个" in clean
    # A row edited around the chain (a prepared roll is still writable) is found at once.
    world.session.execute(
        update(RollRow)
        .where(RollRow.roll_id == roll.id)
        .values(amount_fen=RollRow.amount_fen + 100)
    )
    world.session.commit()
    body = client.get("/payments/reconcile?month=2026-04").get_data(as_text=True)
    assert case.case_no in body and "多发 1.00 元" in body
    assert client.get("/payments/reconcile?month=2026-05").status_code == 200
