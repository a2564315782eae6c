"""Load test of the production server: concurrent signed-in users on PostgreSQL, over loopback.

    python bench/web_load.py                          # 50 users, 60 s, fresh PostgreSQL + demo
    python bench/web_load.py --seconds 15 --users 20  # a quicker run
    python bench/web_load.py --households 600         # more demo data (seeding takes longer)
    python bench/web_load.py --think 1                # users pause ~1 s between clicks

What it does, with the standard library only (threads + http.client, one keep-alive connection
and one cookie jar per user):
1. starts a throwaway PostgreSQL server (bench/_pg.py), loads the demo district with
   `caseflow seed --demo` and starts `caseflow serve` (waitress, the production server, with its
   in-process deadline sweep) on a free loopback port;
2. N users sign in through the login form as different demo accounts (township investigators,
   reviewers, leaders of every township; the district's approvers, finance and supervisor) and,
   until the time is up, mix: their 待办 queue (tabs, pages), case pages, claims and releases, and
   transitions — each a POST of the case page's own form with its CSRF token and expected
   version, the fields filled in the way a clerk would; the supervisor reads the 督办 board and
   drills down;
3. afterwards counts the audit events the run wrote and compares them, one by one
   (case, trigger, user), with the transitions and claims the clients saw succeed: any lost or
   duplicated event is listed; every case's hash chain is verified; any 5xx is a failure.

Prints p50 / p95 per request kind and overall, and writes bench/results/web_load.json.
Exit status 1 when there was a 5xx, a lost or duplicated transition, or a broken chain.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(_HERE)] + [_HERE]
sys.path.insert(0, str(ROOT))

import _pg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from caseflow.bootstrap import boot  # noqa: E402
from caseflow.db.engine import make_engine, make_session_factory  # noqa: E402
from caseflow.db.models import CaseEvent, User  # noqa: E402
from caseflow.engine.audit import verify_chains  # noqa: E402
from caseflow.kernel.timeutil import LOCAL_TZ  # noqa: E402
from caseflow.seed.demo import DEMO_PASSWORD, DISTRICT_ACCOUNTS  # noqa: E402

boot()  # the composition root, as every entry point calls it

# Triggers a load-test user never fires: they end a case without work (the rest go through).
SKIPPED_TRIGGERS = frozenset({"withdraw", "cancel"})
CLAIM_TRIGGERS = ("claim", "release")
TOWNSHIP_ROLES = ("investigator1", "investigator2", "reviewer", "leader")
DISTRICT_USERS = ("district_approver1", "district_approver2", "district_finance", "supervisor")
TIMEOUT = 60.0


# --- HTML forms -----------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # hidden inputs
    inputs: list[dict[str, str]] = field(default_factory=list)  # visible inputs to fill
    selects: dict[str, list[str]] = field(default_factory=dict)
    textareas: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    """POST forms of a page, with their hidden values and the fields a person fills in."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: dict[str, str] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") == "hidden":
                self._form.fields.append((a["name"], a.get("value", "")))
            else:
                self._form.inputs.append(a)
        elif tag == "textarea" and a.get("name"):
            self._form.textareas.append(a["name"])
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.selects[a["name"]] = []
        elif tag == "option" and self._select:
            self._option, self._option_text = a, ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select and self._form and self._option is not None:
            value = self._option.get("value", self._option_text.strip())
            if value:
                self._form.selects[self._select].append(value)
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def fill(form: Form, rnd: random.Random) -> list[tuple[str, str]]:
    """The form's hidden values plus plausible entries, as a person would type them."""
    today = datetime.now(LOCAL_TZ).date().isoformat()
    data = list(form.fields)
    for name in form.textareas:
        data.append((name, "压力测试：已核实"))
    boxes: dict[str, list[dict[str, str]]] = defaultdict(list)
    for a in form.inputs:
        kind, name = a.get("type", "text"), a["name"]
        if kind == "checkbox":
            boxes[name].append(a)
        elif kind == "date":
            data.append((name, today))
        elif kind == "number":
            data.append((name, str(rnd.randint(1, 3))))
        elif a.get("inputmode") == "decimal":
            data.append((name, f"{rnd.randint(100, 600)}.00"))
        elif kind not in ("submit", "file", "button"):
            data.append((name, "压力测试"))
    for name, group in boxes.items():
        if group[0].get("value"):  # a checklist: tick every item
            data.extend((name, g["value"]) for g in group)
        elif rnd.random() < 0.5:
            data.append((name, "on"))
    for name, options in form.selects.items():
        if options:
            data.append((name, rnd.choice(options)))
    return data


# --- one user ---------------------------------------------------------------------------------

FLASH = re.compile(r'class="flash flash-(\w+)"[^>]*>([^<]*)<')
ROW = re.compile(r'<tr data-case-id="(\d+)"')
FIRE = re.compile(r"^/cases/(\d+)/fire/(\w+)$")


@dataclass
class Outcome:
    """What one user saw: timings per kind, statuses, and the changes that succeeded."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    done: Counter[tuple[int, str, str]] = field(default_factory=Counter)  # (case, trigger, user)
    refused: Counter[str] = field(default_factory=Counter)
    unknown: list[tuple[int, str, str, str]] = field(default_factory=list)  # no answer seen
    errors: list[str] = field(default_factory=list)


class Client:
    """A browser of one user: a keep-alive connection and a cookie jar."""

    def __init__(self, host: str, port: int, username: str, out: Outcome) -> None:
        self.host, self.port, self.username, self.out = host, port, username, out
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)

    def request(
        self, kind: str, method: str, path: str, data: list[tuple[str, str]] | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urlencode(data or []).encode() if data is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The keep-alive connection was closed by the server between requests; a POST
                # is not retried (it may have been processed), a GET is.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
                if method == "POST" or attempt == 2:
                    raise
        elapsed = (time.perf_counter() - t0) * 1000
        self.out.timings[kind].append(elapsed)
        self.out.statuses[(kind, resp.status)] += 1
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text

    def get(self, kind: str, path: str) -> str:
        return self.request(kind, "GET", path)[2]

    def login(self) -> None:
        page = self.get("login", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        status, _, _ = self.request(
            "login",
            "POST",
            "/login",
            [
                ("csrf_token", token.group(1)),
                ("username", self.username),
                ("password", DEMO_PASSWORD),
                ("next", ""),
            ],
        )
        if status != 302:
            raise RuntimeError(f"{self.username}: sign-in answered {status}")

    def post_and_follow(self, kind: str, path: str, data: list[tuple[str, str]]) -> str:
        """POST a form; follow the redirect; the flash category it shows ("" when none)."""
        status, headers, text = self.request(kind, "POST", path, data)
        if status in (302, 303):
            location = headers.get("location", "/")
            location = re.sub(r"^https?://[^/]+", "", location)
            text = self.get("case" if location.startswith("/cases/") else "queue", location)
        elif status >= 500:
            return "5xx"
        found = FLASH.search(text)
        return found.group(1) if found else f"status {status}"


def user_loop(
    client: Client, deadline: float, rnd: random.Random, board: bool, think: float = 0.0
) -> None:
    claimed: list[int] = []
    while time.perf_counter() < deadline:
        if think:  # a person reads the page before the next click (mean `think` seconds)
            time.sleep(rnd.uniform(0, 2 * think))
        if board:
            _supervise(client, rnd)
            continue
        tab = rnd.choice(("all", "all", "overdue", "escalated", "mine"))
        queue = client.get("queue", f"/queue/?tab={tab}&page={rnd.randint(1, 2)}")
        rows = [int(x) for x in ROW.findall(queue)]
        if not rows:
            client.get("queue", "/queue/")
            client.get("inbox", "/inbox")
            continue
        case_id = rnd.choice(rows[:10])
        forms = {f.action: f for f in forms_of(queue)}
        if claimed and rnd.random() < 0.3:
            _claim(client, forms, claimed.pop(), "release")
        elif rnd.random() < 0.15 and _claim(client, forms, case_id, "claim"):
            claimed.append(case_id)
        page = client.get("case", f"/cases/{case_id}")
        actions = [
            f
            for f in forms_of(page)
            if (m := FIRE.match(f.action)) and m.group(2) not in SKIPPED_TRIGGERS
        ]
        if actions and rnd.random() < 0.6:
            _fire(client, rnd.choice(actions), rnd)
        if rnd.random() < 0.1:
            client.get("inbox", "/inbox")


def _claim(client: Client, forms: dict[str, Form], case_id: int, what: str) -> bool:
    form = forms.get(f"/queue/{case_id}/{what}")
    if form is None:
        return False
    path = f"/queue/{case_id}/{what}"
    try:
        flash = client.post_and_follow(what, path, list(form.fields))
    except (TimeoutError, OSError) as exc:
        client.out.unknown.append((case_id, what, client.username, repr(exc)))
        return False
    if flash == "success":
        client.out.done[(case_id, what, client.username)] += 1
        return True
    client.out.refused[f"{what}: {flash}"] += 1
    return False


def _fire(client: Client, form: Form, rnd: random.Random) -> None:
    m = FIRE.match(form.action)
    assert m is not None
    case_id, trigger = int(m.group(1)), m.group(2)
    try:
        flash = client.post_and_follow("transition", form.action, fill(form, rnd))
    except (TimeoutError, OSError) as exc:
        client.out.unknown.append((case_id, trigger, client.username, repr(exc)))
        return
    if flash == "success":
        client.out.done[(case_id, trigger, client.username)] += 1
    else:
        client.out.refused[f"transition: {flash}"] += 1


def _supervise(client: Client, rnd: random.Random) -> None:
    board = client.get("board", "/board")
    links = re.findall(r'href="(/board/cases\?[^"]+)"', board)
    if links:
        listing = client.get("board", rnd.choice(links).replace("&amp;", "&"))
        cases = re.findall(r'href="/cases/(\d+)"', listing)
        if cases:
            client.get("case", f"/cases/{rnd.choice(cases)}")


def run_user(
    client: Client, start: threading.Barrier, seconds: float, seed: int, think: float
) -> None:
    """Sign in, wait for everybody, then work until the time is up."""
    try:
        client.login()
    except Exception as exc:  # recorded, reported, and fails the run
        client.out.errors.append(f"{client.username}: {exc!r}")
    start.wait()  # scrypt makes sign-in slow on purpose: the clock starts once all are in
    if client.out.errors:
        return
    deadline = time.perf_counter() + seconds
    try:
        rnd = random.Random(seed)
        user_loop(client, deadline, rnd, board=client.username == "supervisor", think=think)
    except Exception as exc:
        client.out.errors.append(f"{client.username}: {exc!r}")
    finally:
        client.conn.close()


# --- the server and the data ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str, **kwargs: Any) -> Any:
    cmd = [sys.executable, "-c", "from caseflow_web.cli import main; main()", *args]
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT), **kwargs)


@contextmanager
def production_server(url: str, log: Path) -> Iterator[int]:
    """`caseflow serve` (waitress) on a free loopback port, until the block ends."""
    port = _free_port()
    env = {**os.environ, "CASEFLOW_DATABASE_URL": url}
    with log.open("w") as out:
        proc = _cli(
            env, "serve", "--host", "127.0.0.1", "--port", str(port), stdout=out, stderr=out
        )
        try:
            for _ in range(300):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None:
                        raise RuntimeError(f"server exited: {log.read_text()[-2000:]}") from None
                    time.sleep(0.1)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def seed(url: str, households: int) -> float:
    env = {**os.environ, "CASEFLOW_DATABASE_URL": url}
    t0 = time.perf_counter()
    proc = _cli(env, "seed", "--demo", "--households", str(households))
    if proc.wait() != 0:
        raise RuntimeError("caseflow seed --demo failed")
    return time.perf_counter() - t0


def accounts(url: str, n: int) -> list[str]:
    """N demo usernames: every township's casework accounts and the district's, round robin."""
    engine = make_engine(url)
    with engine.connect() as conn:
        names = set(conn.scalars(select(User.username)))
    engine.dispose()
    township = sorted(
        u for u in names if any(u.endswith("_" + r) for r in TOWNSHIP_ROLES) and "_" in u
    )
    pool = [u for u in DISTRICT_USERS if u in names] + township
    if not pool:
        raise RuntimeError("no demo accounts found")
    assert {u for u, _ in DISTRICT_ACCOUNTS} >= set(DISTRICT_USERS)
    return [pool[i % len(pool)] for i in range(n)]


# --- checks and report ------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    if not s:
        return {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0}
    return {
        "n": len(s),
        "p50_ms": round(s[len(s) // 2], 1),
        "p95_ms": round(s[min(len(s) - 1, int(len(s) * 0.95))], 1),
    }


def audit_check(
    url: str, first_event_id: int, done: Counter[tuple[int, str, str]]
) -> dict[str, Any]:
    """Events written by people during the run versus what the clients saw succeed."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        rows = session.execute(
            select(CaseEvent.case_id, CaseEvent.trigger, User.username)
            .join(User, User.id == CaseEvent.actor_id)
            .where(CaseEvent.id > first_event_id)
        ).all()
        system_events = session.scalar(
            select(func.count()).where(CaseEvent.id > first_event_id, CaseEvent.actor_id.is_(None))
        )
        breaks = [f"case {b.case_id} seq {b.seq}: {b.reason}" for b in verify_chains(session)]
    engine.dispose()
    # Clients never open cases; an `open` event during the run is a follow-up case that an effect of
    # a transition opened in the same transaction (e.g. a review's "start removal"): counted apart.
    opened = sum(1 for r in rows if r[1] == "open")
    in_db: Counter[tuple[int, str, str]] = Counter(
        (r[0], r[1], r[2]) for r in rows if r[1] != "open"
    )
    lost = done - in_db
    extra = in_db - done
    return {
        "events_by_people": sum(in_db.values()),
        "transitions_in_db": sum(v for k, v in in_db.items() if k[1] not in CLAIM_TRIGGERS),
        "claims_in_db": sum(v for k, v in in_db.items() if k[1] in CLAIM_TRIGGERS),
        "events_by_sweep": int(system_events or 0),
        "follow_up_cases_opened": opened,
        "lost": [list(k) for k in lost.elements()],
        "unexpected_or_duplicated": [list(k) for k in extra.elements()],
        "chain_breaks": breaks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--households", type=int, default=150, help="demo households to seed")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause between a user's page views, seconds (0: every user clicks at once)",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "web_load.json"))
    args = parser.parse_args()
    bin_dir = _pg.find_pg_bin()
    if bin_dir is None:
        sys.exit("PostgreSQL binaries not found (apt install postgresql)")
    # 50 users share the server's pool; leave room for the sweep and this script.
    _pg.SERVER_SETTINGS["max_connections"] = "100"
    report: dict[str, Any] = {"users": args.users, "seconds": args.seconds, "think": args.think}
    with _pg.throwaway_server(bin_dir) as admin_url:
        url = admin_url.rsplit("/", 1)[0] + "/postgres"
        print(f"{_pg.pg_version(bin_dir)}; seeding {args.households} demo households …", flush=True)
        report["seed_seconds"] = round(seed(url, args.households), 1)
        names = accounts(url, args.users)
        engine = make_engine(url)
        with engine.connect() as conn:
            first_event = int(conn.scalar(select(func.max(CaseEvent.id))) or 0)
            events_before = conn.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.id <= first_event)
            )
        engine.dispose()
        log = Path(args.out).with_suffix(".server.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with production_server(url, log) as port:
            print(
                f"seeded in {report['seed_seconds']} s ({events_before} events); server on "
                f"127.0.0.1:{port}; {args.users} users for {args.seconds:.0f} s …",
                flush=True,
            )
            clients = [Client("127.0.0.1", port, name, Outcome()) for name in names]
            start = threading.Barrier(len(clients) + 1)
            threads = [
                threading.Thread(
                    target=run_user,
                    args=(c, start, args.seconds, args.seed * 1000 + i, args.think),
                    daemon=True,
                )
                for i, c in enumerate(clients)
            ]
            for t in threads:
                t.start()
            start.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join(args.seconds + 5 * TIMEOUT)
            wall = time.perf_counter() - t0
        outcomes = [c.out for c in clients]
        report.update(summarise(outcomes, wall))
        report["audit"] = audit_check(url, first_event, sum_done(outcomes))
    report["generated_at"] = datetime.now(LOCAL_TZ).isoformat(timespec="seconds")
    ok = print_report(report)
    out = Path(args.out)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {out}")
    sys.exit(0 if ok else 1)


def sum_done(outcomes: list[Outcome]) -> Counter[tuple[int, str, str]]:
    total: Counter[tuple[int, str, str]] = Counter()
    for o in outcomes:
        total.update(o.done)
    return total


def summarise(outcomes: list[Outcome], wall: float) -> dict[str, Any]:
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[tuple[str, int]] = Counter()
    refused: Counter[str] = Counter()
    for o in outcomes:
        for k, v in o.timings.items():
            timings[k].extend(v)
        statuses.update(o.statuses)
        refused.update(o.refused)
    # Sign-in (scrypt, before the clock started) is reported but kept out of "overall".
    every = [x for k, v in timings.items() if k != "login" for x in v]
    done = sum_done(outcomes)
    return {
        "wall_seconds": round(wall, 1),
        "requests": len(every),
        "requests_per_second": round(len(every) / wall, 1) if wall else 0.0,
        "by_kind": {k: percentiles(v) for k, v in sorted(timings.items())},
        "overall": percentiles(every),
        "statuses": {f"{k} {s}": n for (k, s), n in sorted(statuses.items())},
        "server_errors": sum(n for (_, s), n in statuses.items() if s >= 500),
        "transitions_ok": sum(v for k, v in done.items() if k[1] not in CLAIM_TRIGGERS),
        "claims_ok": sum(v for k, v in done.items() if k[1] in CLAIM_TRIGGERS),
        "refused": dict(refused.most_common()),
        "unknown_outcome": [list(u) for o in outcomes for u in o.unknown],
        "client_errors": [e for o in outcomes for e in o.errors],
    }


def print_report(r: dict[str, Any]) -> bool:
    print(
        f"\n== {r['users']} users, {r['wall_seconds']} s, {r['requests']} requests "
        f"({r['requests_per_second']}/s) =="
    )
    print(f"{'kind':12}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}")
    for kind, p in r["by_kind"].items():
        print(f"{kind:12}{p['n']:>8}{p['p50_ms']:>10}{p['p95_ms']:>10}")
    o = r["overall"]
    print(f"{'overall':12}{o['n']:>8}{o['p50_ms']:>10}{o['p95_ms']:>10}")
    a = r["audit"]
    print(
        f"transitions seen by clients {r['transitions_ok']}, in the audit trail "
        f"{a['transitions_in_db']}; claims/releases {r['claims_ok']} / {a['claims_in_db']}; "
        f"sweep events {a['events_by_sweep']}; follow-up cases opened by effects "
        f"{a['follow_up_cases_opened']}"
    )
    print(f"refused (guards, conflicts, stale pages): {r['refused']}")
    problems = []
    if r["server_errors"]:
        problems.append(f"{r['server_errors']} server errors (5xx)")
    if a["lost"]:
        problems.append(f"lost: {a['lost'][:10]}")
    if a["unexpected_or_duplicated"]:
        unknown = {tuple(u[:3]) for u in r["unknown_outcome"]}
        real = [e for e in a["unexpected_or_duplicated"] if tuple(e) not in unknown]
        if real:
            problems.append(f"unexpected or duplicated: {real[:10]}")
    if a["chain_breaks"]:
        problems.append(f"broken chains: {a['chain_breaks'][:5]}")
    if r["client_errors"]:
        problems.append(f"client errors: {r['client_errors'][:5]}")
    if r["unknown_outcome"]:
        print(f"requests without an answer (outcome unknown): {r['unknown_outcome'][:10]}")
    print("zero 5xx, zero lost or duplicated transitions: " + ("YES" if not problems else "NO"))
    for p in problems:
        print("  " + p)
    return not problems


if __name__ == "__main__":
    main()
