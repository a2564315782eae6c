"""Several app servers and a worker on one PostgreSQL, as real processes: two `caseflow init-db`
started together migrate the schema once; a comparison started through server A is queued (A runs
no worker of its own), claimed by `caseflow worker`, and its progress and result are read through
server B — which also accepts A's session (one shared secret key, no shared folder)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger_support import REGISTRY_HEADER, ROSTER_HEADER, pid, write_csv
from sqlalchemy import select, text
from support import T0, World, build_world

import caseflow
from caseflow.accounts.users import hash_password
from caseflow.db.engine import make_engine, make_session_factory
from caseflow.db.schema import head_revision
from caseflow.ledger.importer import import_roster
from caseflow.ledger.job_models import BackgroundJob
from caseflow.ledger.jobs import COMPARED, COMPARING, job_engine

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CHECKOUT = str(Path(caseflow.__file__).resolve().parent.parent)
DB = "several_servers"
PASSWORD = "several-servers-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.running: list[subprocess.Popen[str]] = []

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "caseflow_web.cli", *args],
            env={**self.env, **env},
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.running.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def database(pg_url: str) -> Iterator[str]:
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DB}"))
    yield make_engine(pg_url).url.set(database=DB).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def processes(database: str, tmp_path: Path) -> Iterator[Processes]:
    env = {
        **os.environ,
        "PYTHONPATH": CHECKOUT,
        "CASEFLOW_DATABASE_URL": database,
        "CASEFLOW_SECRET_KEY": "several-servers-share-this-secret-key-0123456789",
        "CASEFLOW_IN_PROCESS_WORKER": "false",  # the web processes only queue
        "CASEFLOW_SWEEP_INTERVAL": "0",
    }
    env.pop("CASEFLOW_CONFIG", None)
    procs = Processes(env, tmp_path)
    yield procs
    procs.stop()


def fill(url: str, tmp_path: Path) -> tuple[int, int]:
    """The test world's staff (who can sign in) and two imported lists to compare."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        world: World = build_world(session)
        hashed = hash_password(PASSWORD)
        for user in world.users.values():
            user.password_hash = hashed
        session.commit()
        registry = [
            ["A001", "张三", "滨河镇", "示例村", "张三", pid(1960, 1), "户主"] + [""] * 4 + ["1"],
            ["A002", "李四", "滨河镇", "示例村", "李四", pid(1961, 2), "户主"] + [""] * 4 + ["1"],
        ]
        roster = [["张三", "滨河镇", "示例村", "张三", pid(1960, 1), "户主", "A", "1", "450"]]
        reg = write_csv(tmp_path / "registry.csv", REGISTRY_HEADER, registry, "utf-8-sig")
        dib = write_csv(tmp_path / "dibao.csv", ROSTER_HEADER, roster, "utf-8-sig")
        actor = world.actor("supervisor")
        reg_id = import_roster(session, reg, "registry", actor, T0).import_id
        dib_id = import_roster(session, dib, "dibao_roster", actor, T0).import_id
    engine.dispose()
    assert reg_id is not None and dib_id is not None
    return reg_id, dib_id


class Browser:
    """One signed-in person: a cookie jar that follows no redirects."""

    def __init__(self) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *_args: object, **_kw: object) -> None:
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def get(self, url: str) -> tuple[int, str, dict[str, str]]:
        return self._send(urllib.request.Request(url))

    def post(
        self, url: str, form: dict[str, str] | list[tuple[str, str]]
    ) -> tuple[int, str, dict[str, str]]:
        data = urllib.parse.urlencode(form).encode()
        return self._send(urllib.request.Request(url, data=data, method="POST"))

    def _send(self, req: urllib.request.Request) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), dict(exc.headers)

    def csrf(self, url: str) -> str:
        status, html, _ = self.get(url)
        assert status == 200, (url, status)
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, url
        return found.group(1)


def wait_healthy(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{base} did not come up")


def test_two_servers_and_a_worker_share_one_postgresql(
    database: str, processes: Processes, tmp_path: Path
) -> None:
    # Two servers starting together: `caseflow init-db` before each (the unit's ExecStartPre).
    starts = [processes.start("init-db"), processes.start("init-db")]
    outputs = [p.communicate(timeout=120)[0] for p in starts]
    assert [p.returncode for p in starts] == [0, 0], outputs
    head = head_revision()
    assert sorted("无需升级" in o for o in outputs) == [False, True], outputs  # migrated once
    assert any(f"空 → {head}" in o for o in outputs), outputs
    registry_id, roster_id = fill(database, tmp_path)

    port_a, port_b = free_port(), free_port()
    a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    server_a = processes.start(
        "serve", "--port", str(port_a), CASEFLOW_UPLOAD_FOLDER=str(tmp_path / "a" / "files")
    )
    server_b = processes.start(
        "serve", "--port", str(port_b), CASEFLOW_UPLOAD_FOLDER=str(tmp_path / "b" / "files")
    )
    wait_healthy(a, server_a)
    wait_healthy(b, server_b)

    person = Browser()
    token = person.csrf(a + "/login")
    status, _, _ = person.post(
        a + "/login", {"username": "supervisor", "password": PASSWORD, "csrf_token": token}
    )
    assert status == 302
    form = [
        ("csrf_token", person.csrf(a + "/ledger/runs/new")),
        ("registry_import_id", str(registry_id)),
        ("roster_import_id", str(roster_id)),
    ]
    status, body, headers = person.post(a + "/ledger/runs/new", form)
    assert status == 302, body[:600]
    job_token = re.search(r"/ledger/comparisons/([0-9a-f]{32})", headers["Location"]).group(1)  # type: ignore[union-attr]

    # B knows A's session and the queued job; nobody runs it yet.
    status, body, _ = person.get(f"{b}/ledger/jobs/{job_token}/progress.json")
    assert status == 200, body[:300]
    assert json.loads(body)["phase"] == COMPARING

    worker = processes.start("worker", CASEFLOW_UPLOAD_FOLDER=str(tmp_path / "w" / "files"))
    deadline = time.monotonic() + 90
    phase = COMPARING
    while phase == COMPARING and time.monotonic() < deadline:
        time.sleep(0.5)
        phase = json.loads(person.get(f"{b}/ledger/jobs/{job_token}/progress.json")[1])["phase"]
    assert phase == COMPARED
    status, _, headers = person.get(f"{b}/ledger/comparisons/{job_token}")
    assert status == 302 and "/ledger/runs/" in headers["Location"]
    status, body, _ = person.get(b + headers["Location"].removeprefix(b))
    assert status == 200 and "比对" in body

    engine = make_engine(database)
    with job_engine(engine).connect() as conn:
        holder = conn.scalar(select(BackgroundJob.worker).where(BackgroundJob.token == job_token))
    engine.dispose()
    assert holder is not None and holder.endswith(f":{worker.pid}")  # the worker ran it
    for proc in (server_a, server_b, worker):
        assert proc.poll() is None  # nobody fell over
