"""Sign-in protection: back-off per address and per account (a wait, never a lock-out a third
party can cause), equal timing for unknown usernames, the current-password check backed off,
sessions revoked on sign-out, password change and reset, the idle timeout, Secure cookies and
HSTS over HTTPS."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from support import T0, World
from websupport import HASH, PASSWORD, make_app

from caseflow.db.models import SignInGuard, User


class StillClock:
    """The app's clock, standing still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> StillClock:
    return StillClock(T0 + timedelta(hours=1))


@pytest.fixture
def still_app(world: World, engine: Engine, tmp_path: Path, clock: StillClock) -> Iterator[Flask]:
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    app = make_app(engine, tmp_path, NOW=clock)
    yield app
    app.extensions["caseflow_engine"].dispose()


def _post_login(
    client: FlaskClient, username: str, password: str, addr: str = "127.0.0.1"
) -> tuple[int, str, str | None]:
    response = client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )
    retry = response.headers.get("Retry-After")
    return response.status_code, response.get_data(as_text=True), retry


def _wait_named(text: str) -> int:
    found = re.search(r"请 (\d+) 秒后再试", text)
    assert found, text[:300]
    return int(found.group(1))


def test_a_burst_across_many_accounts_from_one_address_is_slowed(
    still_app: Flask, world: World, clock: StillClock
) -> None:
    client = still_app.test_client()
    names = [n for n in world.users if n != "admin"]
    for i in range(10):  # the address's allowance: an office's typing errors
        assert _post_login(client, names[i % len(names)], "wrong-guess")[0] == 401
    code, text, retry = _post_login(client, names[3], "wrong-guess")
    assert code == 401  # the eleventh failure is counted and starts the wait
    code, text, retry = _post_login(client, "admin", PASSWORD)
    assert code == 429 and retry == "1" and _wait_named(text) == 1
    clock.advance(seconds=1)
    assert _post_login(client, names[4], "wrong-guess")[0] == 401
    code, text, retry = _post_login(client, names[5], "wrong-guess")
    assert code == 429 and _wait_named(text) == 2  # the wait doubles with every failure
    # Another address is not held up by this one's burst.
    assert _post_login(still_app.test_client(), "admin", PASSWORD, "10.1.2.3")[0] == 302


def test_a_third_party_cannot_keep_the_owner_out(
    still_app: Flask, world: World, clock: StillClock
) -> None:
    owner = still_app.test_client()
    assert _post_login(owner, "supervisor", PASSWORD, "10.0.0.7")[0] == 302
    owner.post("/logout")
    # A stranger guesses from many addresses (and from the owner's own office router).
    stranger = still_app.test_client()
    for i in range(8):
        _post_login(stranger, "supervisor", "guess", f"10.9.0.{i}")
    code, text, _ = _post_login(stranger, "supervisor", PASSWORD, "10.9.1.1")
    assert code == 429 and _wait_named(text) >= 1  # an unknown browser waits for the account
    for _ in range(12):
        _post_login(stranger, "clerk", "guess", "10.0.0.7")
    # The owner's browser, where the account signed in before, only answers for its own failures.
    assert _post_login(owner, "supervisor", PASSWORD, "10.0.0.7")[0] == 302
    rows = world.session.scalars(select(SignInGuard.scope)).all()
    assert "device" not in rows


def test_the_owner_waits_out_their_own_mistakes_and_then_signs_in(
    still_app: Flask, clock: StillClock
) -> None:
    client = still_app.test_client()
    for _ in range(5):
        assert _post_login(client, "clerk", "typo")[0] == 401
    assert _post_login(client, "clerk", "typo")[0] == 401
    code, _, retry = _post_login(client, "clerk", PASSWORD)
    assert code == 429 and retry == "1"
    clock.advance(seconds=2)
    assert _post_login(client, "clerk", PASSWORD)[0] == 302  # a wait, never a lock-out


def test_unknown_usernames_take_as_long_as_wrong_passwords(still_app: Flask) -> None:
    def timed(username: str, addr: str) -> float:
        client = still_app.test_client()
        started = time.perf_counter()
        assert _post_login(client, username, "not-the-password", addr)[0] == 401
        return time.perf_counter() - started

    # Medians of five, each from an address of its own (no back-off in the way).
    known = statistics.median(timed("clerk", f"10.3.0.{i}") for i in range(5))
    unknown = statistics.median(timed(f"nobody{i}", f"10.4.0.{i}") for i in range(5))
    # Both pay one scrypt check (tens of ms); without it the unknown name answered 25x sooner.
    assert unknown > known * 0.5, (known, unknown)


def test_the_current_password_check_backs_off(still_app: Flask, clock: StillClock) -> None:
    client = still_app.test_client()
    assert _post_login(client, "inv1", PASSWORD)[0] == 302
    form = {"new": "Shapotou-2026-new", "confirm": "Shapotou-2026-new"}
    for _ in range(4):
        bad = client.post("/password", data={**form, "current": "guess"})
        assert bad.status_code == 400
    blocked = client.post("/password", data={**form, "current": PASSWORD})
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "1"
    assert "请 1 秒后再试" in blocked.get_data(as_text=True)
    clock.advance(seconds=1)
    assert client.post("/password", data={**form, "current": PASSWORD}).status_code == 302


def _copy_session(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


def test_a_cookie_captured_before_sign_out_is_refused_after_it(still_app: Flask) -> None:
    client = still_app.test_client()
    assert _post_login(client, "clerk", PASSWORD)[0] == 302
    thief = still_app.test_client()
    _copy_session(client, thief)
    assert thief.get("/cases/").status_code == 200
    client.post("/logout")
    assert thief.get("/cases/").status_code == 302


def test_a_password_change_or_reset_ends_every_other_session(
    still_app: Flask, world: World
) -> None:
    client = still_app.test_client()
    assert _post_login(client, "clerk", PASSWORD)[0] == 302
    other = still_app.test_client()
    _copy_session(client, other)
    new = "Binhe-desk-2026!"
    changed = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert changed.status_code == 302
    assert client.get("/cases/").status_code == 200  # the changing session goes on
    assert other.get("/cases/").status_code == 302
    # An admin's reset ends the user's sessions too.
    assert _post_login(other, "clerk", new)[0] == 302
    admin = still_app.test_client()
    assert _post_login(admin, "admin", PASSWORD)[0] == 302
    clerk = world.users["clerk"]
    reset = {
        "display_name": clerk.display_name,
        "org_unit_id": str(world.township.id),
        "roles": ["clerk"],
        "password": "Reset-by-admin-77",
        "active": "on",
    }
    assert admin.post(f"/admin/users/{clerk.id}", data=reset).status_code == 303
    assert other.get("/cases/").status_code == 302
    world.session.rollback()
    generation = world.session.scalar(select(User.session_generation).where(User.id == clerk.id))
    assert generation == 2  # the change, then the reset


def test_an_idle_session_ends_with_a_message(still_app: Flask, clock: StillClock) -> None:
    client = still_app.test_client()
    assert _post_login(client, "clerk", PASSWORD)[0] == 302
    clock.advance(minutes=29)
    assert client.get("/cases/").status_code == 200
    clock.advance(minutes=29)  # 29 minutes after the last request, not after the sign-in
    assert client.get("/cases/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "超过 30 分钟未操作" in page
    assert client.get("/cases/").status_code == 302  # signed out, not just warned


def test_the_idle_timeout_is_configurable(
    world: World, engine: Engine, tmp_path: Path, clock: StillClock
) -> None:
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    app = make_app(engine, tmp_path, NOW=clock, IDLE_TIMEOUT_MINUTES=5)
    client = app.test_client()
    assert _post_login(client, "clerk", PASSWORD)[0] == 302
    clock.advance(minutes=6)
    assert client.get("/cases/").status_code == 302
    app.extensions["caseflow_engine"].dispose()


def test_cookies_are_secure_and_hsts_is_sent_over_https(still_app: Flask) -> None:
    secure = still_app.test_client()
    response = secure.post(
        "/login",
        data={"username": "clerk", "password": PASSWORD},
        base_url="https://caseflow.example",
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c and "SameSite=Lax" in c for c in cookies)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = still_app.test_client().post("/login", data={"username": "clerk", "password": PASSWORD})
    assert all("Secure" not in c for c in plain.headers.getlist("Set-Cookie"))
    assert "Strict-Transport-Security" not in plain.headers


def test_the_https_setting_marks_cookies_secure_behind_a_proxy(
    world: World, engine: Engine, tmp_path: Path
) -> None:
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    app = make_app(engine, tmp_path, HTTPS=True)
    response = app.test_client().post("/login", data={"username": "clerk", "password": PASSWORD})
    assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    assert "Strict-Transport-Security" in response.headers
    app.extensions["caseflow_engine"].dispose()


def test_common_and_own_name_passwords_are_refused_on_the_pages(
    still_app: Flask, world: World
) -> None:
    client = still_app.test_client()
    assert _post_login(client, "inv1", PASSWORD)[0] == 302
    for weak, message in (
        ("12345678", "过于常见"),
        ("password", "过于常见"),
        ("inv1-secret-9", "用户名"),
        ("caseflow-demo", "演示系统"),
    ):
        page = client.post("/password", data={"current": PASSWORD, "new": weak, "confirm": weak})
        assert page.status_code == 400 and message in page.get_data(as_text=True), weak
    admin = still_app.test_client()
    assert _post_login(admin, "admin", PASSWORD)[0] == 302
    new = {
        "username": "desk_two",
        "display_name": "李明",
        "org_unit_id": str(world.township.id),
        "roles": ["clerk"],
        "password": "liming2026",
        "active": "on",
    }
    page = admin.post("/admin/users/new", data=new)
    assert page.status_code == 400 and "用户名或姓名" in page.get_data(as_text=True)
    world.session.rollback()
    assert world.session.scalar(select(User.id).where(User.username == "desk_two")) is None
