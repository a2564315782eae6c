"""A returned case shows in the returnee's inbox and in the header's unread count — on SQLite
and PostgreSQL."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.db.models import Case
from caseflow.workflow.registry import registry


def _case_in(world: World, state: str, workflow: str = "dibao") -> tuple[Case, Walker]:
    walker = Walker(world, T0)
    return walker.to_state(registry().workflow(workflow), state), walker


def test_returned_case_shows_in_the_inbox_and_header(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case, _ = _case_in(world, "district_review")
    auth.login("approver")
    response = client.post(
        f"/cases/{case.id}/fire/return_to_township",
        data={"expected_version": str(case.version), "p_reason": "材料不全"},
    )
    assert response.status_code == 303
    auth.logout()
    auth.login("reviewer")
    body = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'id="inbox-unread"[^>]*>1<', body)
    assert "退回" in body and case.case_no in body and "材料不全" in body
