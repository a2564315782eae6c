"""The admin's policy page: see the dated configurations, enter a new one, confirm examples."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from support import World
from websupport import AuthActions

from caseflow import SEED_DIR
from caseflow.db.models import AdminEvent, PolicyRecord


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_admin_sees_enters_and_confirms_policy(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "560.00" in page and "示例值，待确认" in page
    text = (SEED_DIR / "policy" / "640502-example.yaml").read_text(encoding="utf-8")
    bad = text.replace("dibao_standard_fen: 56000", "dibao_standard_fen: -1")
    response = client.post("/admin/policy", data={"document": bad, "csrf_token": _token(page)})
    assert response.status_code == 400 and "dibao_standard_fen" in response.get_data(as_text=True)
    new = text.replace("2026-01-01", "2027-01-01").replace("2025-01-01", "2026-07-01")
    new = new.replace("dibao_standard_fen: 56000", "dibao_standard_fen: 61000")
    response = client.post("/admin/policy", data={"document": new, "csrf_token": _token(page)})
    assert response.status_code == 303
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "610.00" in page
    world.session.rollback()
    record = world.session.scalars(
        select(PolicyRecord)
        .where(PolicyRecord.effective_from.isnot(None))
        .order_by(PolicyRecord.effective_from.desc())
    ).first()
    assert record is not None and record.is_example
    response = client.post(f"/admin/policy/{record.id}/confirm", data={"csrf_token": _token(page)})
    assert response.status_code == 303
    world.session.rollback()
    actions = [e.action for e in world.session.scalars(select(AdminEvent).order_by(AdminEvent.id))]
    assert actions[-3:] == ["policy.enter", "policy.enter", "policy.confirm"]
    assert (
        client.post("/admin/policy/999999/confirm", data={"csrf_token": _token(page)}).status_code
        == 404
    )


def test_only_admins_reach_the_policy_page(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("approver")
    assert client.get("/admin/policy").status_code == 403


def test_admin_enters_a_new_orphan_standard_like_any_other(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "1500.00 / 1100.00" in page and "沿用此前标准" in page
    text = (SEED_DIR / "policy" / "640502-example.yaml").read_text(encoding="utf-8")
    config_2026 = text[text.index("  - effective_from: 2026-01-01") :]
    header = 'region: "640502"\nconfigs:\n'
    bad = config_2026 + "    orphans: {centralised_fen: 0, dispersed_fen: 1, basis: x, source: y}\n"
    response = client.post(
        "/admin/policy", data={"document": header + bad, "csrf_token": _token(page)}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "孤儿基本生活保障标准不能为 0" in body
    new = config_2026.replace("2026-01-01", "2026-09-01") + (
        "    orphans: {centralised_fen: 168000, dispersed_fen: 123000,"
        " basis: 区民政局通知, source: 待核实}\n"
    )
    response = client.post(
        "/admin/policy", data={"document": header + new, "csrf_token": _token(page)}
    )
    assert response.status_code == 303
    assert "1680.00 / 1230.00" in client.get("/admin/policy").get_data(as_text=True)
