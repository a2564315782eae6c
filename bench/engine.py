"""Benchmark of the case engine: transitions committed per second through
`caseflow.engine.fire.fire()`
beside the same transaction written in bare SQL (the ceiling), and the memory the engine keeps
per case.

    python bench/engine.py                                  # SQLite file and PostgreSQL (~5 min)
    python bench/engine.py --backend sqlite --fires 1000    # quick run
    python bench/engine.py --memory-fires 100000            # the issue's memory figure (slow)
    python bench/engine.py --profile                        # + cProfile of the fire() loop

Measured per backend, on a freshly migrated database (SQLite file in WAL mode in a temp dir;
PostgreSQL on a throwaway server started here from /usr/lib/postgresql/*/bin):

1. fire/s: `--fires` calls of `fire()`, round-robin over `--cases` 低保 cases in publicity, each
   doing the objection round of bench/_data.py (record_objection → order_reinvestigation →
   two sign_home_visit internal events → submit_reinvestigation): 3 state changes and 2 internal
   events in 5, every one with its audit event and deadline rows, one commit each.
2. ceiling/s: the same sequence of transitions on another `--cases` cases, each one transaction
   of bare SQL on the raw DBAPI connection of the same engine, with the reads and writes that
   fire()'s guarantees need and nothing else: lock and read the case row inside the actor's
   jurisdiction (SELECT … FOR UPDATE with the org_path prefix; BEGIN IMMEDIATE on SQLite), check
   the version and state, the reads the transition's declared checks need (previous actions of
   this actor where it declares separation of duties; the signers since the last state change
   where it has a two-person sign-off guard), read the last event hash, INSERT the event with
   its SHA-256 chain hash, on a state change close the old deadline row and INSERT the new one,
   then the compare-and-set UPDATE of the case (on a state change with its clock — earliest open
   due date, highest escalation level — as scalar subqueries), COMMIT. It computes no working
   days (due = start + N days) and validates nothing. The same SQL through SQLAlchemy Core
   `text()` is shown too (where SQLAlchemy itself starts to cost).
3. fire / ceiling, target ≥ 0.5. The three paths (fire(), DBAPI, Core) run in `--rounds`
   interleaved rounds and each path's time is its total over the rounds: a WAL checkpoint,
   autovacuum or a burst of other work on the machine then falls on all of them alike (run one
   after the other, the same build measured 0.49 and 0.70 on PostgreSQL in two runs). The
   per-round ratios are printed (median, range) to show how noisy the machine was.
4. memory per case: `--memory-fires` fires on distinct cases (opened in batches of
   `--memory-batch`, accepted ⇄ awaiting_materials twice each, session closed after every
   batch), after a warm-up batch. tracemalloc slows fire() several-fold, so it traces only the
   last `--memory-traced` fires: its growth there divided by the cases of that window is the
   figure (≈ 0 when nothing is kept per case; bounded caches show as a constant that shrinks
   per case as the window grows). RSS and gc-object growth over the whole run are shown too.

The table is printed and written to bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = str(Path(__file__).resolve().parent)
# Run as a script this folder comes first on sys.path, where this file's name could shadow a
# module called `engine`: keep the folder, but last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(_HERE)] + [_HERE]
sys.path.insert(0, str(ROOT))

from _data import (  # noqa: E402
    CYCLE,
    DECISION,
    MEMORY_CYCLE,
    WALK,
    WORKFLOW,
    BenchWorld,
    Step,
    build_world,
    cases_in_publicity,
    fire_step,
    open_cases,
)
from _pg import SERVER_SETTINGS, find_pg_bin, throwaway_server  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from caseflow.bootstrap import boot  # noqa: E402
from caseflow.db.engine import make_engine, make_session_factory  # noqa: E402
from caseflow.db.schema import upgrade  # noqa: E402
from caseflow.engine.audit import verify_chains  # noqa: E402
from caseflow.workflow.registry import registry  # noqa: E402

boot()  # the composition root, as every entry point calls it

RESULTS = ROOT / "bench" / "results" / "engine.json"
TARGET = 0.5
WARMUP_CASES = 10
GENESIS = "0" * 64


def log(msg: str) -> None:
    print(f"  · {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# 1. fire()
# ---------------------------------------------------------------------------------------------


class Cycler:
    """Round-robin over cases, each case at its own position in a loop of steps."""

    def __init__(self, cases: list[int], steps: tuple[Step, ...]) -> None:
        self.cases, self.steps = cases, steps
        self.pos = dict.fromkeys(cases, 0)
        self.i = 0

    def __iter__(self) -> Iterator[tuple[int, Step]]:
        return self

    def __next__(self) -> tuple[int, Step]:
        case_id = self.cases[self.i % len(self.cases)]
        self.i += 1
        step = self.steps[self.pos[case_id]]
        self.pos[case_id] = (self.pos[case_id] + 1) % len(self.steps)
        return case_id, step


def run_fire(session: Session, world: BenchWorld, cycler: Cycler, n: int) -> float:
    """Seconds for `n` fire() calls."""
    start = time.perf_counter()
    for _ in range(n):
        case_id, step = next(cycler)
        fire_step(session, world, case_id, step)
    elapsed = time.perf_counter() - start
    session.expunge_all()
    return elapsed


# ---------------------------------------------------------------------------------------------
# 2. the ceiling: the same transaction shape in bare SQL
# ---------------------------------------------------------------------------------------------


def _hash(fields: dict[str, Any]) -> str:
    # The audit trail's canonical form, so `caseflow audit verify` accepts the ceiling's rows.
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Ceiling:
    """Per transition one transaction of hand-written SQL, with the engine's connection."""

    def __init__(self, engine: Engine, world: BenchWorld, cases: list[int]) -> None:
        self.pg = engine.dialect.name == "postgresql"
        self.world = world
        reg = registry()
        wf = reg.workflow(WORKFLOW)
        with engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT id, version, ruleset_key FROM cases WHERE id IN ({_ids(cases)})")
            ).all()
        self.version = {r.id: r.version for r in rows}
        ruleset = reg.rulesets[rows[0].ruleset_key]
        # The deadline rule of every state (looked up once: the ceiling computes nothing).
        self.rules = {name: ruleset.rule(s.deadline) for name, s in wf.states.items() if s.deadline}
        # Which checks each step's transition declares (the ceiling runs their reads, as fire must).
        self.checks: dict[tuple[str, str], tuple[list[str], bool]] = {}
        for step in (*CYCLE, *WALK):
            t = wf.transition_for(step.source, step.trigger)
            assert t is not None
            self.checks[(step.source, step.trigger)] = (
                list(t.forbid_actors_of),
                bool({"not_signed_yet", "two_investigators_signed"} & set(t.guards)),
            )
        lock = (
            "SELECT state, version, org_path FROM cases WHERE id = %s "
            "AND org_path LIKE %s ESCAPE '/'"
        )
        payload = "CAST(%s AS JSON)" if self.pg else "%s"
        clock = (
            "due_at = (SELECT min(due_at) FROM deadlines WHERE case_id = %s AND closed_at IS NULL),"
            " escalation_level = (SELECT coalesce(max(level), 0) FROM deadlines "
            "WHERE case_id = %s AND closed_at IS NULL)"
        )
        self.sql = {
            "lock": lock + " FOR UPDATE" if self.pg else lock,
            "signers": "SELECT DISTINCT actor_id FROM case_events WHERE case_id = %s "
            "AND \"trigger\" = 'sign_home_visit' AND actor_id IS NOT NULL AND seq >= "
            "(SELECT coalesce(max(seq), 0) FROM case_events WHERE case_id = %s "
            "AND (from_state IS NULL OR from_state <> to_state))",
            "cas_move": "UPDATE cases SET state = %s, version = %s, state_entered_at = %s, "
            f"assignee_id = NULL, {clock} WHERE id = %s AND version = %s",
            "cas_stay": "UPDATE cases SET state = %s, version = %s WHERE id = %s AND version = %s",
            "last": "SELECT seq, hash FROM case_events WHERE case_id = %s "
            "ORDER BY seq DESC LIMIT 1",
            "event": 'INSERT INTO case_events (case_id, seq, actor_id, actor_role, "trigger", '
            f"from_state, to_state, payload, at, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, "
            f"%s, %s, {payload}, %s, %s, %s)",
            "close": "UPDATE deadlines SET closed_at = %s, next_action_at = NULL "
            "WHERE case_id = %s AND state = %s AND closed_at IS NULL",
            "open": "INSERT INTO deadlines (case_id, state, rule, unit, amount, started_at, "
            "due_at, calendar_source, level, next_action_at, extended, closed_at, org_path) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s)",
        }
        for forbid, _signers in self.checks.values():
            if forbid:
                self.sql["done_before:" + ",".join(forbid)] = (
                    'SELECT "trigger" FROM case_events WHERE case_id = %s AND actor_id = %s '
                    f'AND "trigger" IN ({", ".join(["%s"] * len(forbid))}) LIMIT 1'
                )
        if not self.pg:
            self.sql = {k: v.replace("%s", "?") for k, v in self.sql.items()}

    def _ts(self, moment: datetime) -> Any:
        # Stored as the models store it: aware on PostgreSQL, naive UTC text on SQLite.
        if self.pg:
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def transaction(self, execute: Callable[[str, tuple[Any, ...]], Any], c: int, s: Step) -> None:
        """The statements of one transition (the caller begins and commits)."""
        now = self.world.tick()
        ts = self._ts(now)
        actor = self.world.actors[s.actor]
        scope = actor.org_path.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        state, version, org_path = execute("lock", (c, scope)).fetchone()
        if version != self.version[c] or state != s.source:
            raise RuntimeError(f"case {c}: {state} v{version}, expected {s.source}")
        forbid, signers = self.checks[(s.source, s.trigger)]
        if forbid:
            execute("done_before:" + ",".join(forbid), (c, actor.user_id, *forbid)).fetchall()
        if signers:
            execute("signers", (c, c)).fetchall()
        moved = s.dest != s.source
        last = execute("last", (c,)).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        stamp = now.astimezone(UTC).replace(microsecond=0).isoformat()
        fields = {
            "case_id": c,
            "seq": seq,
            "actor_id": actor.user_id,
            "actor_role": s.role,
            "trigger": s.trigger,
            "from": s.source,
            "to": s.dest,
            "payload": s.payload,
            "at": stamp,
            "prev": prev,
        }
        digest = _hash(fields)
        row = (c, seq, actor.user_id, s.role, s.trigger, s.source, s.dest)
        execute("event", (*row, json.dumps(s.payload), ts, prev, digest))
        if moved:
            execute("close", (ts, c, s.source))
            rule = self.rules.get(s.dest)
            if rule is not None:
                due = now + timedelta(days=rule.amount)
                action = self._ts(due - timedelta(days=2))
                opened = (c, s.dest, rule.name, rule.unit, rule.amount, ts, self._ts(due))
                execute("open", (*opened, "bench", 0, action, False, org_path))
        if moved:
            done = execute("cas_move", (s.dest, version + 1, ts, c, c, c, version))
        else:
            done = execute("cas_stay", (s.dest, version + 1, c, version))
        if done.rowcount != 1:
            raise RuntimeError(f"case {c}: version moved")
        self.version[c] = version + 1

    def run_dbapi(self, engine: Engine, cycler: Cycler, n: int) -> float:
        """Seconds for `n` transitions on the raw DBAPI connection."""
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            sql = self.sql

            def execute(name: str, params: tuple[Any, ...]) -> Any:
                cur.execute(sql[name], params)
                return cur

            start = time.perf_counter()
            for _ in range(n):
                case_id, step = next(cycler)
                if not self.pg:
                    cur.execute("BEGIN IMMEDIATE")
                self.transaction(execute, case_id, step)
                raw.commit() if self.pg else cur.execute("COMMIT")
            elapsed = time.perf_counter() - start
            cur.close()
        finally:
            raw.close()
        return elapsed

    def run_core(self, engine: Engine, cycler: Cycler, n: int) -> float:
        """Seconds for `n` transitions through SQLAlchemy Core text() on a Connection."""
        compiled = {k: text(_named(v)) for k, v in self.sql.items()}
        noop = text("UPDATE cases SET version = version WHERE id = :p0")
        with engine.connect() as conn:

            def execute(name: str, params: tuple[Any, ...]) -> Any:
                return conn.execute(compiled[name], {f"p{i}": v for i, v in enumerate(params)})

            start = time.perf_counter()
            for _ in range(n):
                case_id, step = next(cycler)
                with conn.begin():
                    if not self.pg:  # the engine's way of taking SQLite's write lock first
                        conn.execute(noop, {"p0": case_id})
                    self.transaction(execute, case_id, step)
            return time.perf_counter() - start


def _ids(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _named(sql: str) -> str:
    """`?` / `%s` placeholders → :p0, :p1, … for text()."""
    out, i = [], 0
    for ch in sql:
        if ch == "?":
            out.append(f":p{i}")
            i += 1
        else:
            out.append(ch)
    joined = "".join(out)
    while "%s" in joined:
        joined = joined.replace("%s", f":p{i}", 1)
        i += 1
    return joined


# ---------------------------------------------------------------------------------------------
# 4. memory per case
# ---------------------------------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory(
    factory: sessionmaker[Session], world: BenchWorld, fires: int, traced: int, batch: int
) -> dict[str, Any]:
    """Memory kept per case over `fires` fire() calls on distinct cases.

    tracemalloc makes fire() several times slower, so it traces only the last `traced` fires:
    whatever the engine kept per case would grow there as it grows anywhere. Over the whole run
    (after a warm-up batch) the growth of resident memory and of gc-tracked objects is reported.
    """
    # One pass per case: the one-time notice (一次性告知) is issued once per case, so the
    # cycle request_materials → materials_supplied cannot repeat on the same case.
    per_case = len(MEMORY_CYCLE)
    traced = min(traced, fires)

    def batches(until: int, done: int) -> tuple[int, int]:
        cases = 0
        while done < until:
            n = min(batch, -(-(until - done) // per_case))
            with factory() as session:
                ids = open_cases(session, world, n)
                for step in MEMORY_CYCLE:
                    for case_id in ids:
                        fire_step(session, world, case_id, step)
            done += n * per_case
            cases += n
        return done, cases

    batches(min(batch, max(1, fires // per_case)) * per_case, 0)  # warm-up: caches, statements
    gc.collect()
    rss0, objects0 = _rss(), len(gc.get_objects())
    start = time.perf_counter()
    done, untraced_cases = batches(fires - traced, 0)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    before = tracemalloc.take_snapshot()
    traced_start = time.perf_counter()
    done, traced_cases = batches(fires, done)
    traced_s = time.perf_counter() - traced_start
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - base
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    elapsed = time.perf_counter() - start
    gc.collect()
    cases = untraced_cases + traced_cases
    top = [
        {"where": str(d.traceback[0]), "bytes": d.size_diff, "blocks": d.count_diff}
        for d in after.compare_to(before, "lineno")[:5]
    ]
    return {
        "fires": done,
        "cases": cases,
        "traced_fires": traced_cases * per_case,
        "traced_cases": traced_cases,
        "traced_growth_bytes": growth,
        "bytes_per_case": growth / max(1, traced_cases),
        "rss_growth_bytes": _rss() - rss0,
        "rss_bytes_per_case": (_rss() - rss0) / cases,
        "gc_objects_growth": len(gc.get_objects()) - objects0,
        "machine_models_attached": sum(len(m.models) for m in registry().machines.values()),
        "seconds": elapsed,
        "traced_seconds": traced_s,
        "top_growth": top,
    }


# ---------------------------------------------------------------------------------------------
# one backend
# ---------------------------------------------------------------------------------------------


def run_backend(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement on one freshly migrated database."""
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    world = build_world(factory())
    session = factory()
    n = args.cases
    log(f"walking {2 * n + WARMUP_CASES} cases to publicity through fire()")
    t0 = time.perf_counter()
    warm = cases_in_publicity(session, world, WARMUP_CASES)
    fire_cases = cases_in_publicity(session, world, n)
    sql_cases = cases_in_publicity(session, world, n)
    log(f"set-up took {time.perf_counter() - t0:.1f} s")

    # Warm-up: every statement of both paths compiled and cached once.
    run_fire(session, world, Cycler(warm, CYCLE), 2 * len(CYCLE) * WARMUP_CASES)
    session.close()
    sql_warm = cases_in_publicity(session, world, WARMUP_CASES)
    ceiling_warm = Ceiling(engine, world, sql_warm)
    warm_cycler = Cycler(sql_warm, CYCLE)
    ceiling_warm.run_dbapi(engine, warm_cycler, len(CYCLE) * WARMUP_CASES)
    ceiling_warm.run_core(engine, warm_cycler, len(CYCLE) * WARMUP_CASES)

    # Interleaved rounds: a burst of background work (a checkpoint, autovacuum, another process)
    # lands on all three paths alike instead of on whichever happened to run during it.
    rounds = max(1, min(args.rounds, args.fires))
    log(f"{args.fires} transitions per path in {rounds} interleaved rounds: fire(), DBAPI, Core")
    profile = cProfile.Profile() if args.profile else None
    ceiling = Ceiling(engine, world, sql_cases)
    fire_cycler, sql_cycler = Cycler(fire_cases, CYCLE), Cycler(sql_cases, CYCLE)
    fire_s = dbapi_s = core_s = 0.0
    round_ratios: list[float] = []
    for r in range(rounds):
        n_round = args.fires // rounds + (1 if r < args.fires % rounds else 0)
        if profile:
            profile.enable()
        f = run_fire(session, world, fire_cycler, n_round)
        if profile:
            profile.disable()
        session.close()
        d = ceiling.run_dbapi(engine, sql_cycler, n_round)
        core_s += ceiling.run_core(engine, sql_cycler, n_round)
        fire_s, dbapi_s = fire_s + f, dbapi_s + d
        round_ratios.append(d / f)

    with factory() as check:
        breaks = list(verify_chains(check))
    result: dict[str, Any] = {
        "url": engine.url.render_as_string(hide_password=True),
        "fire_per_s": args.fires / fire_s,
        "ceiling_per_s": args.fires / dbapi_s,
        "core_text_per_s": args.fires / core_s,
        "ratio": dbapi_s / fire_s,
        "ratio_core": core_s / fire_s,
        "ratio_rounds": round_ratios,
        "audit_chain_breaks": len(breaks),
    }
    if profile:
        result["profile"] = _profile_text(profile)
    if args.walk_cases > 0:
        log(f"the whole 低保 walk on {args.walk_cases} cases, step by step")
        result["walk"] = measure_walk(factory, world, args.walk_cases)
    if args.memory_fires > 0:
        log(
            f"memory: {args.memory_fires} fires on distinct cases, the last "
            f"{min(args.memory_traced, args.memory_fires)} under tracemalloc"
        )
        result["memory"] = measure_memory(
            factory, world, args.memory_fires, args.memory_traced, args.memory_batch
        )
    engine.dispose()
    return result


def measure_walk(factory: Any, world: BenchWorld, n: int) -> dict[str, Any]:
    """The whole 低保 walk, accepted → … → approved, step by step over `n` cases: the mean
    cost of each step (open, every fire, the assessment and the approval with their effects)."""
    session = factory()
    t0 = time.perf_counter()
    cases = open_cases(session, world, n)
    steps: list[tuple[str, float]] = [("open (open_case)", (time.perf_counter() - t0) / n)]
    seen: dict[str, int] = {}
    for step in (*WALK, *DECISION):
        if step.trigger == "publicity_ended":
            world.now += timedelta(days=8)  # the seven days of 公示 have passed
        seen[step.trigger] = seen.get(step.trigger, 0) + 1
        label = step.trigger + (
            f" ({seen[step.trigger]})" if step.trigger == "sign_home_visit" else ""
        )
        t0 = time.perf_counter()
        for case_id in cases:
            fire_step(session, world, case_id, step)
        steps.append((label, (time.perf_counter() - t0) / n))
    session.close()
    cost = dict(steps)
    plain = statistics.median(
        cost[t] for t in ("start_investigation", "submit_investigation", "start_publicity")
    )
    return {
        "cases": n,
        "steps_ms": [(label, seconds * 1000) for label, seconds in steps],
        "walk_ms": sum(seconds for _, seconds in steps) * 1000,
        "plain_ms": plain * 1000,
        "assessment_ratio": cost["record_assessment"] / plain,
        "approve_ratio": cost["approve"] / plain,
    }


def _profile_text(profile: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(r"caseflow|sqlalchemy/orm/session", 30)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


@contextmanager
def database(backend: str) -> Iterator[tuple[str | None, str]]:
    """(url or None, version or reason skipped) of a fresh database of the kind."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="caseflow-bench-") as tmp:
            yield f"sqlite:///{tmp}/engine.sqlite3", f"SQLite {sqlite3.sqlite_version}"
        return
    url = os.environ.get("CASEFLOW_BENCH_POSTGRES_URL")
    if url:
        yield url, _server_version(url)
        return
    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None, "PostgreSQL binaries not found (apt-get install postgresql)"
        return
    with throwaway_server(bin_dir) as url:
        yield url, _server_version(url)


def _server_version(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return f"PostgreSQL {version}"


# ---------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------


def header(command: str, versions: dict[str, str]) -> list[str]:
    lines = [
        "caseflow engine benchmark",
        f"command : {command}",
        f"machine : {os.cpu_count()} CPUs, {platform.machine()}, {platform.platform()}",
        f"python  : {platform.python_version()} ({platform.python_implementation()})",
    ]
    for backend, version in versions.items():
        lines.append(f"{backend:<8}: {version}")
    lines.append(
        "settings: SQLite file, WAL, synchronous=NORMAL; PostgreSQL "
        + ", ".join(f"{k}={v}" for k, v in SERVER_SETTINGS.items())
        + " (fsync on); one process, one connection, one commit per transition"
    )
    return lines


def table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> list[str]:
    cols = [
        ("backend", 10),
        ("fire() tx/s", 12),
        ("ceiling tx/s", 13),
        ("fire/ceiling", 13),
        ("target", 7),
        ("Core text() tx/s", 17),
        ("fire/Core", 10),
        ("mem B/case", 11),
        ("mem fires", 10),
    ]
    rule = "-" * (sum(w for _, w in cols) + len(cols) - 1)
    lines = [
        f"transition loop: {' → '.join(s.trigger for s in CYCLE)} "
        f"({sum(s.source != s.dest for s in CYCLE)} state changes + "
        f"{sum(s.source == s.dest for s in CYCLE)} internal events per {len(CYCLE)} fires)",
        f"{args.fires} transitions per column on {args.cases} cases; ceiling = bare SQL on the "
        "raw DBAPI connection, per transition: lock+read the case in the actor's jurisdiction "
        "(FOR UPDATE / BEGIN IMMEDIATE), the declared checks' reads (separation of duties, "
        "signers since the state was entered), last event hash, INSERT event (SHA-256 chain), "
        "on a move close + INSERT deadline rows, compare-and-set UPDATE of the case (with its "
        "clock on a move), COMMIT; no working-day arithmetic, no validation",
        rule,
        " ".join(f"{name:>{w}}" if i else f"{name:<{w}}" for i, (name, w) in enumerate(cols)),
        rule,
    ]
    for backend, r in results.items():
        if "skipped" in r:
            lines.append(f"{backend:<10} skipped: {r['skipped']}")
            continue
        mem = r.get("memory")
        cells = [
            f"{backend:<10}",
            f"{r['fire_per_s']:>12,.0f}",
            f"{r['ceiling_per_s']:>13,.0f}",
            f"{r['ratio']:>13.2f}",
            f"{'ok' if r['ratio'] >= TARGET else 'BELOW':>7}",
            f"{r['core_text_per_s']:>17,.0f}",
            f"{r['ratio_core']:>10.2f}",
            f"{mem['bytes_per_case']:>11,.1f}" if mem else f"{'-':>11}",
            f"{mem['fires']:>10,}" if mem else f"{'-':>10}",
        ]
        lines.append(" ".join(cells))
    lines.append(rule)
    for backend, r in results.items():
        if "memory" in r:
            m = r["memory"]
            lines.append(
                f"{backend}: memory after {m['fires']:,} fires on {m['cases']:,} cases "
                f"({m['seconds']:.0f} s): tracemalloc growth over the last {m['traced_fires']:,} "
                f"fires {m['traced_growth_bytes']:,} B = {m['bytes_per_case']:,.1f} B/case; "
                f"RSS {m['rss_growth_bytes'] / 2**20:+.1f} MiB = "
                f"{m['rss_bytes_per_case']:,.0f} B/case; gc objects {m['gc_objects_growth']:+,}; "
                f"cases attached to machines: {m['machine_models_attached']}"
            )
        if "ratio_rounds" in r:
            spread = r["ratio_rounds"]
            lines.append(
                f"{backend}: fire/ceiling per round: median {statistics.median(spread):.2f}, "
                f"{min(spread):.2f}–{max(spread):.2f} over {len(spread)} interleaved rounds "
                "(the table: total time of each path over all rounds)"
            )
        if "walk" in r:
            w = r["walk"]
            lines.append(
                f"{backend}: the whole 低保 walk (accepted → approved) over {w['cases']} cases: "
                f"{w['walk_ms']:.1f} ms per case; record_assessment {w['assessment_ratio']:.2f}× "
                f"and approve {w['approve_ratio']:.2f}× a plain transition "
                f"({w['plain_ms']:.2f} ms; target for the assessment ≤ 2×: "
                f"{'met' if w['assessment_ratio'] <= 2 else 'MISSED'})"
            )
            lines.append("    " + "; ".join(f"{s} {ms:.2f}" for s, ms in w["steps_ms"]) + " (ms)")
        if "audit_chain_breaks" in r:
            lines.append(f"{backend}: audit chains verified, {r['audit_chain_breaks']} breaks")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="cases per measured loop")
    parser.add_argument("--fires", type=int, default=3000, help="transitions per measurement")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds of the paths")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--memory-fires", type=int, default=4000, help="fires of the memory run (0: skip)"
    )
    parser.add_argument(
        "--memory-traced", type=int, default=1000, help="of which the last N under tracemalloc"
    )
    parser.add_argument("--memory-batch", type=int, default=500, help="cases per session")
    parser.add_argument("--profile", action="store_true", help="cProfile the fire() loop")
    parser.add_argument(
        "--walk-cases", type=int, default=200, help="cases walked accepted → approved (0: skip)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    command = shlex.join(["python", "bench/engine.py", *sys.argv[1:]])
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]

    results: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    for backend in backends:
        log(f"{backend}: starting")
        with database(backend) as (url, version):
            versions[backend] = version
            if url is None:
                results[backend] = {"skipped": version}
                log(f"{backend}: skipped — {version}")
                continue
            results[backend] = run_backend(url, args)

    lines = [*header(command, versions), "", *table(results, args)]
    print("\n".join(lines))
    for backend, r in results.items():
        if "profile" in r:
            print(f"\n--- cProfile of the fire() loop on {backend} ---\n{r['profile']}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "command": command,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            **versions,
        },
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "target_ratio": TARGET,
        "results": {b: {k: v for k, v in r.items() if k != "profile"} for b, r in results.items()},
        "table": lines,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text_out = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    args.output.write_text(text_out, encoding="utf-8")
    print(f"\nresults written to {args.output}")


if __name__ == "__main__":
    main()
