"""Concurrent users on SQLite and PostgreSQL, side by side: a sign-in burst and a mixed load
through the production server (waitress, 8 threads, its own process) over loopback.

    python bench/bench_sqlite_concurrency.py                   # both databases
    python bench/bench_sqlite_concurrency.py --backend sqlite  # SQLite only
    python bench/bench_sqlite_concurrency.py --rounds 20       # a longer mixed load

Per database, with its own data (bench/_data.py's 滨河镇: households and 低保 cases through
`open_case`, plus 30 window clerks with a password and an API token each):
1. burst: 30 users begin signing in (the form's GET, then its POST with the CSRF token) within
   2 seconds;
2. mixed: 16 users sign in, then round after round open their queue, a case page, the inbox, mark
   it read (a write), call the API (`GET /api/v1/cases`: the rate counter is a write), and half
   way sign out and in again (the session generation is a write).

Prints requests, 5xx, p50 and p95 per phase and database, writes bench/results/
sqlite_concurrency.json, and exits 1 on any 5xx. The standard library is the client.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(_HERE)] + [_HERE]
sys.path.insert(0, str(ROOT))

import _data  # noqa: E402
from _pg import find_pg_bin, throwaway_server  # noqa: E402

from caseflow.accounts.api_tokens import create_token  # noqa: E402
from caseflow.accounts.orgs import unit_by_code  # noqa: E402
from caseflow.accounts.users import hash_password, new_user  # noqa: E402
from caseflow.db.engine import make_engine, make_session_factory  # noqa: E402
from caseflow.db.models import User  # noqa: E402
from caseflow.db.schema import upgrade  # noqa: E402
from caseflow.kernel.roles import Role  # noqa: E402
from caseflow.kernel.timeutil import utcnow  # noqa: E402

PASSWORD = "Bench-sign-in-2026"
BURST_USERS = 30
BURST_SECONDS = 2.0
MIXED_USERS = 16
CASES = 40
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
Sample = tuple[str, int, float]  # (phase, status, seconds)


# --- data -----------------------------------------------------------------------------------


def prepare(url: str) -> tuple[list[str], dict[str, str], list[int]]:
    """Schema, the bench's district, cases, and the staff who sign in (usernames, API tokens)."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        world = _data.build_world(session)
    with factory() as session:
        case_ids = _data.open_cases(session, world, CASES)
    with factory() as session:
        township = unit_by_code(session, "640502100")
        names = [f"window{i:02d}" for i in range(BURST_USERS)]
        session.add_all(new_user(n, n, township, [Role.CLERK], _data.T0) for n in names)
        session.commit()
        hashed = hash_password(PASSWORD)  # scrypt once, shared: the bench measures sign-in
        users = session.query(User).all()
        for user in users:
            user.password_hash = hashed
        session.commit()
        tokens = {
            name: create_token(
                session,
                user_id=session.query(User.id).filter(User.username == name).scalar(),
                org_code="640502100",
                name="并发基准",
                days=1,
                now=utcnow(),
                created_by_id=None,
            ).secret
            for name in names
        }
    engine.dispose()
    return names, tokens, case_ids


# --- server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(url: str, folder: Path) -> Iterator[int]:
    """The app under waitress (8 threads) in a process of its own; its port."""
    port = _free_port()
    code = (
        "import logging, waitress; from caseflow_web import create_app; "
        # Queue-depth warnings are what a burst means to do: the figures say how long it waited.
        "logging.getLogger('waitress.queue').setLevel(logging.ERROR); "
        f"waitress.serve(create_app({{'ATTACHMENT_DIR': {str(folder / 'att')!r}}}), "
        f"host='127.0.0.1', port={port}, threads=8, _quiet=True)"
    )
    env = {
        **os.environ,
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_SECRET_KEY": "bench-secret-key-of-at-least-32-characters",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=folder)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- clients --------------------------------------------------------------------------------


class Client:
    """One browser: a keep-alive connection, a cookie jar, and the samples it took."""

    def __init__(self, port: int, samples: list[Sample], phase: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.jar: dict[str, str] = {}
        self.samples, self.phase = samples, phase

    def call(
        self, method: str, path: str, form: dict[str, str] | None = None, bearer: str = ""
    ) -> str:
        headers = (
            {"Authorization": f"Bearer {bearer}"}
            if bearer
            else {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        )
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        self.conn.request(method, path, urlencode(form) if form is not None else None, headers)
        reply = self.conn.getresponse()
        body = reply.read()
        self.samples.append((self.phase, reply.status, time.perf_counter() - began))
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            key, _, rest = cookie.partition("=")
            self.jar[key] = rest.split(";", 1)[0]
        return body.decode("utf-8", "replace")

    def token_of(self, path: str) -> str:
        found = TOKEN_RE.search(self.call("GET", path))
        return found.group(1) if found else ""

    def sign_in(self, username: str) -> None:
        csrf = self.token_of("/login")
        self.call(
            "POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": csrf}
        )


def run_threads(jobs: list[Callable[[], None]]) -> float:
    threads = [threading.Thread(target=job) for job in jobs]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def burst(port: int, names: list[str], samples: list[Sample]) -> float:
    start = time.monotonic() + 0.2

    def one(i: int, name: str) -> Callable[[], None]:
        def go() -> None:
            time.sleep(max(0.0, start + i * BURST_SECONDS / len(names) - time.monotonic()))
            Client(port, samples, "burst").sign_in(name)

        return go

    return run_threads([one(i, n) for i, n in enumerate(names)])


def mixed(
    port: int, names: list[str], tokens: dict[str, str], cases: list[int], rounds: int,
    samples: list[Sample],
) -> float:  # fmt: skip
    def one(i: int, name: str) -> Callable[[], None]:
        def go() -> None:
            client = Client(port, samples, "mixed")
            client.sign_in(name)
            for r in range(rounds):
                client.call("GET", "/queue/")
                client.call("GET", f"/cases/{cases[(i * rounds + r) % len(cases)]}")
                csrf = client.token_of("/inbox")
                client.call("POST", "/inbox/read-all", {"csrf_token": csrf})
                client.call("GET", "/api/v1/cases", bearer=tokens[name])
                if r == rounds // 2:
                    client.call("POST", "/logout", {"csrf_token": csrf})
                    client.sign_in(name)

        return go

    return run_threads([one(i, n) for i, n in enumerate(names[:MIXED_USERS])])


# --- report ---------------------------------------------------------------------------------


def figures(samples: list[Sample], phase: str, seconds: float) -> dict[str, float]:
    times = sorted(s[2] for s in samples if s[0] == phase)
    statuses = [s[1] for s in samples if s[0] == phase]
    return {
        "requests": len(statuses),
        "5xx": sum(1 for s in statuses if s >= 500),
        "4xx": sum(1 for s in statuses if 400 <= s < 500),
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
        "seconds": round(seconds, 2),
    }


def measure(url: str, rounds: int) -> dict[str, dict[str, float]]:
    names, tokens, cases = prepare(url)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as folder, serving(url, Path(folder)) as port:
        took_burst = burst(port, names, samples)
        took_mixed = mixed(port, names, tokens, cases, rounds, samples)
    return {
        "burst": figures(samples, "burst", took_burst),
        "mixed": figures(samples, "mixed", took_mixed),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            results["sqlite"] = measure(f"sqlite:///{folder}/bench.sqlite3", args.rounds)
    if args.backend in ("both", "postgresql"):
        bin_dir = find_pg_bin()
        if bin_dir is None:
            print("PostgreSQL is not installed: SQLite only")
        else:
            with throwaway_server(bin_dir) as url:
                results["postgresql"] = measure(url, args.rounds)
    kinds = list(results)
    print(f"{'phase / figure':<22}" + "".join(f"{k:>14}" for k in kinds))
    for phase in ("burst", "mixed"):
        for key in ("requests", "5xx", "4xx", "p50_ms", "p95_ms", "seconds"):
            row = "".join(f"{results[k][phase][key]:>14}" for k in kinds)
            print(f"{phase + ' ' + key:<22}{row}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "sqlite_concurrency.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if any(r[p]["5xx"] for r in results.values() for p in r) else 0


if __name__ == "__main__":
    sys.exit(main())
