"""Pages name case types, actions and stages in Chinese, never by their codes."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.workflow.registry import registry

TAGS = re.compile(r"<[^>]+>")


def visible_text(html: str) -> str:
    """What a reader sees: the page without its tags (attributes and option values dropped)."""
    return TAGS.sub(" ", html)


def test_audit_page_names_actions_and_stages_by_their_chinese_labels(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    auth.login("supervisor")
    html = client.get(f"/audit?kind=case_events&case_no={case.case_no}").get_data(as_text=True)
    text = visible_text(html)
    assert "审核确认（批准）" in text
    assert "区级审核确认 → 在保（已确认）" in text
    for code in ("approve", "district_review", "approved", "accepted", "investigating"):
        assert not re.search(rf"\b{code}\b", text), f"code {code!r} shown on the audit page"
    # The action filter offers the Chinese names; the code stays the submitted value.
    assert '<option value="approve"' in html and ">审核确认（批准）" in html


def test_case_types_without_a_short_name_are_named_by_their_workflow(app: Flask) -> None:
    label = app.jinja_env.filters["case_type_label"]
    assert label("roll") == "月度发放名册"
    assert label("rise") == "提标名单"
    assert label("dibao") == "低保"


def test_admin_log_names_its_actions_in_chinese(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    created = client.post(
        "/admin/users/new",
        data={
            "username": "new_clerk",
            "display_name": "新窗口",
            "org_unit_id": str(world.township.id),
            "roles": "clerk",
            "password": "long-enough-pass",
            "active": "on",
        },
    )
    assert created.status_code == 303
    html = client.get("/audit?kind=admin_events").get_data(as_text=True)
    text = visible_text(html)
    assert "新建账号" in text and "new_clerk" in text
    assert "user_created" not in text
    assert '<option value="user_created"' in html  # the filter names it, the code is its value
    csv = client.get("/audit/export.csv?kind=admin_events").get_data().decode("utf-8-sig")
    assert csv.splitlines()[0] == "时间,操作人,操作,操作代码,对象"
    assert ",新建账号,user_created,new_clerk" in csv
