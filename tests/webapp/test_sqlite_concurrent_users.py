"""SQLite under concurrent users, through the production server (waitress, 8 threads) over
loopback: 30 sign-ins begun within 2 seconds, then 16 users mixing sign-in, the queue, case pages,
the inbox (reading and marking read: writes) and API calls (the rate counter: writes) — not one
5xx. (These once failed with "database is locked": 20 of 30 sign-ins, 255 of 313 under load.)
bench/bench_sqlite_concurrency.py measures the same on both databases."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
import waitress
from sqlalchemy import Engine
from sqlite_world import sqlite_world
from support import T0, World
from websupport import HASH, PASSWORD

from caseflow.accounts.api_tokens import create_token
from caseflow.accounts.users import new_user
from caseflow.engine.fire import open_case
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import utcnow
from caseflow_web import create_app

BURST = 30
BURST_SECONDS = 2.0
MIXED_USERS = 16
ROUNDS = 4
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """One user's keep-alive connection and cookie jar; every status it saw."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None, token: str = ""
    ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers = {"Authorization": f"Bearer {token}"}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        self.statuses.append(response.status)
        return response.status, text

    def csrf(self, path: str) -> str:
        _, page = self.send("GET", path)
        found = _CSRF.search(page)
        return found.group(1) if found else ""

    def sign_in(self, username: str) -> int:
        token = self.csrf("/login")
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        return self.send("POST", "/login", form)[0]


@dataclass
class Site:
    port: int
    world: World
    case_ids: list[int]
    api_tokens: list[str]
    burst_users: list[str]


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[Site]:
    engine, world = sqlite_world(sqlite_template, tmp_path)
    burst = _more_clerks(world, BURST)
    case_ids = [
        open_case(
            world.session, "dibao", world.household().id, world.actor("clerk"), T0, summary="并发"
        ).id
        for _ in range(4)
    ]
    tokens = [
        create_token(
            world.session,
            user_id=world.users[name].id,
            org_code=world.township.code,
            name="并发测试",
            days=30,
            now=utcnow(),
            created_by_id=world.users["admin"].id,
        ).secret
        for name in ("clerk", "reviewer")
    ]
    app = _app(engine, tmp_path)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield Site(server.effective_port, world, case_ids, tokens, burst)  # type: ignore[union-attr]
    server.close()
    thread.join(timeout=5)
    app.extensions["caseflow_engine"].dispose()
    engine.dispose()


def _more_clerks(world: World, count: int) -> list[str]:
    names = [f"desk{i:02d}" for i in range(count)]
    for name in names:
        user = new_user(name, name, world.township, [Role.CLERK], T0)
        user.password_hash = HASH
        world.session.add(user)
    world.session.commit()
    return names


def _app(engine: Engine, tmp_path: Path) -> object:
    return create_app(
        {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "concurrency-test-secret",
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        }
    )


def _run_all(work: list[threading.Thread]) -> None:
    for t in work:
        t.start()
    for t in work:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in work)


def test_thirty_sign_ins_within_two_seconds_all_succeed(site: Site) -> None:
    results: dict[str, int] = {}
    browsers = [Browser(site.port) for _ in site.burst_users]
    started = time.monotonic()
    start_times: list[float] = []

    def sign_in(i: int, name: str) -> None:
        time.sleep(max(0.0, started + i * BURST_SECONDS / BURST - time.monotonic()))
        start_times.append(time.monotonic() - started)
        results[name] = browsers[i].sign_in(name)

    _run_all(
        [
            threading.Thread(target=sign_in, args=(i, name))
            for i, name in enumerate(site.burst_users)
        ]
    )
    assert max(start_times) <= BURST_SECONDS + 1.0  # a busy machine wakes a thread late
    statuses = [s for b in browsers for s in b.statuses]
    assert [s for s in statuses if s >= 500] == []
    assert sorted(results.values()) == [302] * BURST  # every sign-in went through


def test_sixteen_users_mixing_pages_writes_and_api_calls_see_no_5xx(site: Site) -> None:
    staff = ["clerk", "inv1", "inv2", "reviewer", "leader", "liaison", "supervisor"]
    users = staff + site.burst_users[: MIXED_USERS - len(staff)]
    browsers = [Browser(site.port) for _ in users]
    signed_in: list[int] = []

    def work(i: int, name: str) -> None:
        browser = browsers[i]
        signed_in.append(browser.sign_in(name))
        token = site.api_tokens[i % len(site.api_tokens)]
        for round_no in range(ROUNDS):
            case_id = site.case_ids[(i + round_no) % len(site.case_ids)]
            browser.send("GET", "/queue/")
            browser.send("GET", f"/cases/{case_id}")
            csrf = browser.csrf("/inbox")
            browser.send("POST", "/inbox/read-all", {"csrf_token": csrf})
            browser.send("GET", "/api/v1/cases", token=token)
            if round_no == ROUNDS // 2:  # sign out and in again: the generation is written
                browser.send("POST", "/logout", {"csrf_token": csrf})
                signed_in.append(browser.sign_in(name))

    _run_all([threading.Thread(target=work, args=(i, n)) for i, n in enumerate(users)])
    statuses = [s for b in browsers for s in b.statuses]
    assert len(statuses) >= MIXED_USERS * ROUNDS * 6
    assert [s for s in statuses if s >= 500] == []
    assert signed_in == [302] * (2 * MIXED_USERS)
    assert statuses.count(200) > len(statuses) // 2  # the pages really were served
