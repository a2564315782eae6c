"""CSRF on every state-changing route; sign-in, throttling, logout, password change, admin."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from support import World
from websupport import PASSWORD, AuthActions, Scene, make_app

from caseflow.db.models import AdminEvent, LoginAttempt, User


def _concrete(rule: str, scene: Scene, world: World) -> str:
    ids = {
        "case_id": scene.own.case.id,
        "household_id": scene.own.household.id,
        "att_id": scene.own.attachment.id,
        "user_id": world.users["clerk"].id,
        "trigger": "start_investigation",
        "org_code": "640502100",
        "record_id": 1,
        "token": "0" * 32,  # a ledger upload (CSRF is refused before the job is looked up)
        "result_id": 1,  # a ledger comparison row
        "token_id": 1,  # an API token (admin page)
        "roll_id": 1,  # a payment roll (CSRF is refused before the roll is looked up)
        "member_id": scene.own.household.members[0].id,  # a correction of a member
        "institution_id": 1,  # CSRF is refused before the institution is looked up
        "transfer_id": 1,  # a transfer request (CSRF is refused before it is looked up)
        "adjustment_id": 1,  # a registered adjustment (withdrawn only after the CSRF check)
        "session_id": 1,  # a training session (CSRF is refused before it is looked up)
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


def _token(client: FlaskClient, url: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found
    return found.group(1)


def test_every_post_route_rejects_a_missing_csrf_token(
    world: World, scene: Scene, engine: Engine, tmp_path: Path
) -> None:
    app = make_app(engine, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = _token(client)
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302  # with a token, sign-in works
    # The JSON API is CSRF-exempt: it takes bearer tokens only, never the session cookie
    # (tests/webapp/test_api.py::test_a_browser_session_is_not_an_api_credential).
    posts = [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and not r.endpoint.startswith("api.")
    ]
    assert len(posts) >= 10
    for rule in posts:
        url = _concrete(rule.rule, scene, world)
        response = client.post(url, data={"username": "admin"})
        assert response.status_code == 400, url
        assert "CSRF" in response.get_data(as_text=True)
    # Still signed in: the refused logout did nothing.
    assert client.get("/admin/users").status_code == 200
    app.extensions["caseflow_engine"].dispose()


def test_cookies_are_httponly_and_samesite(client: FlaskClient, world: World) -> None:
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_failures_are_logged_and_back_off(
    client: FlaskClient, world: World, app: Flask
) -> None:
    for _ in range(5):
        response = client.post("/login", data={"username": "clerk", "password": "wrong"})
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.get_data(as_text=True)
    failures = world.session.scalar(
        select(func.count()).where(LoginAttempt.username == "clerk", ~LoginAttempt.succeeded)
    )
    assert failures == 5
    # Within the allowance the right password works: a back-off, never a lock-out
    # (tests/webapp/test_sign_in_protection.py follows the waits).
    right = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert right.status_code == 302


def test_inactive_user_cannot_sign_in_and_is_signed_out(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("inv1")
    user = world.users["inv1"]
    user.active = False
    world.session.commit()
    assert client.get("/cases/").status_code == 302  # session no longer valid
    response = client.post("/login", data={"username": "inv1", "password": PASSWORD})
    assert response.status_code == 401


def test_open_redirect_refused(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/login", data={"username": "clerk", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_logout_and_change_password(client: FlaskClient, auth: AuthActions, world: World) -> None:
    auth.login("clerk")
    bad = client.post("/password", data={"current": "nope", "new": "short", "confirm": "x"})
    assert bad.status_code == 400
    assert "当前密码不正确" in bad.get_data(as_text=True)
    ok = client.post(
        "/password",
        data={"current": PASSWORD, "new": "a-new-password", "confirm": "a-new-password"},
    )
    assert ok.status_code == 302
    assert client.get("/cases/").status_code == 200  # still signed in after the change
    auth.logout()
    assert client.get("/cases/").status_code == 302
    auth.login("clerk", "a-new-password")


def test_admin_creates_edits_and_deactivates_users(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    data = {
        "username": "new_clerk",
        "display_name": "新窗口",
        "org_unit_id": str(world.township.id),
        "roles": ["clerk"],
        "password": "initial-pass",
        "active": "on",
    }
    bad = client.post("/admin/users/new", data={**data, "username": "x", "roles": ["root"]})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "用户名为 3–64 位" in text and "请至少选择一个有效角色" in text
    assert client.post("/admin/users/new", data=data).status_code == 303
    user = world.session.scalar(select(User).where(User.username == "new_clerk"))
    assert user is not None and user.role_names == {"clerk"}
    edit = {**data, "roles": ["clerk", "investigator"], "password": ""}
    edit.pop("active")
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 303
    world.session.rollback()  # end the fixture's read snapshot to see the app's writes
    user = world.session.get(User, user.id)
    assert user is not None
    assert user.role_names == {"clerk", "investigator"} and not user.active  # never deleted
    actions = world.session.scalars(
        select(AdminEvent.action)
        .where(AdminEvent.action.startswith("user_"))
        .order_by(AdminEvent.id)
    ).all()
    assert actions == ["user_created", "user_updated"]
    # The new account cannot sign in while deactivated.
    client.post("/logout")
    response = client.post("/login", data={"username": "new_clerk", "password": "initial-pass"})
    assert response.status_code == 401
