"""提标 in the web: the district approver reads the list, approves exactly what was shown, and the
approval reaches the next roll; a stale list, a bad date or a second approval change nothing."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from payments_support import approve, at
from sqlalchemy import func, select
from support import World
from websupport import AuthActions

from caseflow.payments.models import RISE, Entitlement


def _changes(world: World) -> int:
    """Entitlement versions written by an approved 提标."""
    world.session.rollback()
    return int(
        world.session.scalar(
            select(func.count()).select_from(Entitlement).where(Entitlement.kind == RISE)
        )
        or 0
    )


def _fingerprint(body: str) -> str:
    found = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', body)
    assert found is not None
    return found.group(1)


def test_approver_reads_and_approves_the_rise_list(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    case = approve(world, at(2026, 3, 10), amount=10000)
    auth.login("approver")
    assert "提标" in client.get("/queue/").get_data(as_text=True)  # in the header
    bad = client.get("/payments/rise?effective_from=2026-13-01")
    assert bad.status_code == 400 and "日期格式应为 YYYY-MM-DD" in bad.get_data(as_text=True)
    page = client.get("/payments/rise?effective_from=2026-01-01")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and case.case_no in body
    shown = _fingerprint(body)

    stale = client.post("/payments/rise", data={"effective_from": "2026-01-01", "fingerprint": "0"})
    assert stale.status_code == 409 and "名单在您核对后已有变化" in stale.get_data(as_text=True)
    assert _changes(world) == 0
    missing = client.post("/payments/rise", data={"effective_from": "", "fingerprint": shown})
    assert missing.status_code == 400 and "请填写提标起始日期" in missing.get_data(as_text=True)
    assert _changes(world) == 0

    form = {"effective_from": "2026-01-01", "fingerprint": shown}
    done = client.post("/payments/rise", data=form)
    assert done.status_code == 303
    count = _changes(world)
    assert count >= 1
    after = client.get("/payments/rise?effective_from=2026-01-01").get_data(as_text=True)
    assert "起的提标名单已批准" in after and 'name="fingerprint"' not in after
    again = client.post("/payments/rise", data=form)
    assert again.status_code == 409 and "已批准" in again.get_data(as_text=True)
    assert _changes(world) == count  # the second approval added nothing


def test_supervisor_reads_but_cannot_approve(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    approve(world, at(2026, 3, 10), amount=10000)
    auth.login("supervisor")
    body = client.get("/payments/rise?effective_from=2026-01-01").get_data(as_text=True)
    assert "提标名单" in body and 'name="fingerprint"' not in body
    assert client.post("/payments/rise", data={"effective_from": "2026-01-01"}).status_code == 403
    assert _changes(world) == 0
