"""Benchmark of the timer sweep: cost must follow what is due, not what exists.

    python bench/sweep.py                                   # both backends, 1,000,000 and 100,000
    python bench/sweep.py --backend sqlite --big 200000 --small 20000 --due 2000   # quick run

For each backend and size a fresh database is migrated (caseflow.db.schema.upgrade) and bulk-loaded
by bench/_sweepdata.py (its own generator, no ORM): N open 低保 cases, each with its open state
deadline and its `total` deadline, of which exactly --due rows have one rung that came due at
midnight (reminder, overdue, district or bureau escalation, or the publicity_ended expiry). Then
caseflow.timer.sweep.sweep(factory, NOW) runs once — the first sweep of the fresh dataset, timed —
and
once more (nothing due any more: the idle sweep, timed too). The timer's daily board roll
(caseflow.read.board_counts.daily_roll: it follows the open cases, once a day) is timed apart. The
report is checked against the plan: levels_reached and expiry_fired exactly as planned, nothing
failed or skipped, one audit event per rung and valid hash chains on a sample of the swept cases.

Printed: a header (CPUs, load, Python, SQLite, PostgreSQL, the exact command), the plan of the
due query (EXPLAIN QUERY PLAN / EXPLAIN, captured from caseflow.timer.sweep.due_deadline_ids
itself),
and a table with the ratio big/small against the target ≤ 1.5. Results: bench/results/sweep.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shlex
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
# Run as a script this folder would come first on sys.path, and bench/queue.py would shadow the
# standard library's `queue`: drop it and import the helpers as bench.* from the project root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bench._pg import find_pg_bin, pg_version, throwaway_server  # noqa: E402
from bench._sweepdata import (  # noqa: E402
    NOW,
    PREVIOUS_SWEEP,
    Plan,
    Rows,
    World,
    check_columns,
    load_postgres,
    load_sqlite,
)
from caseflow.bootstrap import boot  # noqa: E402
from caseflow.clock.calendar_store import load_calendar  # noqa: E402
from caseflow.db.engine import make_engine, make_session_factory  # noqa: E402
from caseflow.db.models import CaseEvent, Deadline, Notification  # noqa: E402
from caseflow.db.schema import upgrade  # noqa: E402
from caseflow.engine.audit import GENESIS_HASH, event_hash  # noqa: E402
from caseflow.read.board_counts import daily_roll  # noqa: E402
from caseflow.timer.sweep import SweepReport, due_deadline_ids, sweep  # noqa: E402
from caseflow.workflow.registry import registry  # noqa: E402

boot()  # the composition root, as every entry point calls it

MAX_RATIO = 1.5
RESULTS = ROOT / "bench" / "results" / "sweep.json"
CHAIN_SAMPLE = 1000


# --- the due query's plan, as caseflow.timer.sweep builds it
# -----------------------------------------


def explain_due_query(engine: Engine) -> tuple[str, list[str]]:
    """Capture the SQL due_deadline_ids runs and ask the database for its plan."""
    captured: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, params))

    limit = (sweep.__kwdefaults__ or {}).get("limit", 100_000)
    factory = make_session_factory(engine)
    event.listen(engine, "before_cursor_execute", grab)
    try:
        with factory() as session:
            due_deadline_ids(session, NOW, limit)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, params = captured[-1]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
    if engine.dialect.name == "sqlite":
        lines = [str(r[-1]) for r in rows]
    else:
        lines = [str(r[0]) for r in rows]
    return " ".join(statement.split()), lines


# --- one dataset -------------------------------------------------------------------------------


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _check_chains(engine: Engine, case_ids: list[int]) -> int:
    """Re-hash every event of the sampled cases; return how many events were checked."""
    factory = make_session_factory(engine)
    checked = 0
    with factory() as session:
        events = session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(case_ids))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        ).all()
    last_case, prev, seq = 0, GENESIS_HASH, 0
    for ev in events:
        if ev.case_id != last_case:
            last_case, prev, seq = ev.case_id, GENESIS_HASH, 0
        seq += 1
        expected = event_hash(
            case_id=ev.case_id,
            seq=ev.seq,
            actor_id=ev.actor_id,
            actor_role=ev.actor_role,
            trigger=ev.trigger,
            from_state=ev.from_state,
            to_state=ev.to_state,
            payload=ev.payload,
            at=ev.at,
            prev_hash=ev.prev_hash,
        )
        if ev.seq != seq or ev.prev_hash != prev or ev.hash != expected:
            raise AssertionError(f"audit chain of case {ev.case_id} broken at seq {ev.seq}")
        prev = ev.hash
        checked += 1
    return checked


def _verify(report: SweepReport, idle: SweepReport, plan: Plan) -> list[str]:
    problems = []
    if report.failed:
        problems.append(f"failed deadlines: {report.failed[:10]}")
    if report.levels_reached != plan.levels:
        problems.append(f"levels_reached {report.levels_reached} ≠ planned {plan.levels}")
    if report.expiry_fired != plan.expiry:
        problems.append(f"expiry_fired {report.expiry_fired} ≠ planned {plan.expiry}")
    if report.skipped:
        problems.append(f"skipped {report.skipped}")
    if (idle.levels_reached, idle.expiry_fired, idle.skipped, idle.failed) != (0, 0, 0, []):
        problems.append(f"second sweep was not idle: {idle}")
    return problems


def run_dataset(
    backend: str, url: str, static: Rows, plan: Plan, chunks: list[Rows], profile: bool
) -> dict[str, Any]:
    """Migrate, load, explain, sweep (timed), sweep again (idle), verify."""
    n, due = plan.cases, plan.due
    engine = make_engine(url)
    upgrade(engine)
    check_columns(engine)
    t0 = time.perf_counter()
    if backend == "sqlite":
        loaded = load_sqlite(engine, iter(chunks), static)
    else:
        engine.dispose()
        loaded = load_postgres(url, iter(chunks), static)
    load_s = time.perf_counter() - t0
    engine.dispose()

    engine = make_engine(url)  # a fresh engine and pool, as a cron `caseflow tick` would have
    factory = make_session_factory(engine)
    statement, plan_lines = explain_due_query(engine)
    with factory() as session:
        open_rows = session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.closed_at.is_(None))
        )
        due_rows = len(due_deadline_ids(session, NOW, 10 * due + 10))
        load_calendar(session)
    if due_rows != due:
        raise AssertionError(f"{due_rows} rows due at NOW, expected {due}")
    events_before = _count(engine, CaseEvent)

    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    report = sweep(factory, NOW)
    if profiler:
        profiler.disable()
    sweep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    idle = sweep(factory, NOW)
    idle_s = time.perf_counter() - t0
    # The timer's other job, once a day before its first sweep round: fold the board's counters
    # for the day. It follows the open cases, not what is due; timed apart, shown beside.
    t0 = time.perf_counter()
    assert daily_roll(factory, NOW)
    roll_s = time.perf_counter() - t0

    problems = _verify(report, idle, plan)
    new_events = _count(engine, CaseEvent) - events_before
    if new_events != plan.levels + plan.expiry:
        problems.append(f"{new_events} new audit events, expected {plan.levels + plan.expiry}")
    notifications = _count(engine, Notification)
    sample = plan.due_case_ids[:: max(1, len(plan.due_case_ids) // CHAIN_SAMPLE)][:CHAIN_SAMPLE]
    checked = _check_chains(engine, sample)
    engine.dispose()
    if problems:
        raise AssertionError(f"{backend} {n}: " + "; ".join(problems))
    profile_text = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        profile_text = out.getvalue()
    return {
        "backend": backend,
        "cases": n,
        "due": due,
        "open_deadline_rows": open_rows,
        "rows_loaded": loaded,
        "load_s": round(load_s, 2),
        "sweep_s": round(sweep_s, 3),
        "rows_per_s": round(due / sweep_s, 1) if sweep_s else None,
        "idle_sweep_ms": round(idle_s * 1000, 2),
        "daily_roll_s": round(roll_s, 2),
        "levels_reached": report.levels_reached,
        "expiry_fired": report.expiry_fired,
        "planned_rungs": dict(sorted(plan.rungs_by_target.items())),
        "due_by_state": dict(plan.due_by_state),
        "notifications": notifications,
        "events_checked": checked,
        "due_query": statement,
        "plan": plan_lines,
        "profile": profile_text,
    }


# --- backends ----------------------------------------------------------------------------------


@contextmanager
def sqlite_urls() -> Iterator[Any]:
    """Fresh SQLite files in a temporary directory (deleted afterwards)."""
    with tempfile.TemporaryDirectory(prefix="caseflow-sweep-") as tmp:
        yield lambda n: f"sqlite:///{Path(tmp) / f'sweep-{n}.sqlite3'}"


@contextmanager
def postgres_urls(bin_dir: Path) -> Iterator[Any]:
    """One throwaway server; a fresh database per dataset."""
    with throwaway_server(bin_dir) as base_url:
        dsn = base_url.replace("postgresql+psycopg://", "postgresql://")

        def fresh(n: int) -> str:
            name = f"sweep_{n}"
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}")
            return base_url.rsplit("/", 1)[0] + f"/{name}"

        yield fresh


def drop_postgres_db(url: str) -> None:
    """Drop a measured database so the next one has the server to itself."""
    base, name = url.rsplit("/", 1)
    with psycopg.connect(
        base.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


# --- output ------------------------------------------------------------------------------------


def header(args: argparse.Namespace, pg_bin: Path | None) -> dict[str, Any]:
    """Machine and versions."""
    load = os.getloadavg()
    return {
        "command": shlex.join(getattr(sys, "orig_argv", sys.argv)),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(pg_bin) if pg_bin else None,
        "platform": platform.platform(),
        "now": NOW.isoformat(),
        "previous_sweep": PREVIOUS_SWEEP.isoformat(),
        "args": vars(args),
    }


def print_header(h: dict[str, Any]) -> None:
    print("caseflow sweep benchmark")
    print(f"  command     {h['command']}")
    print(f"  cpus        {h['cpus']}  (load average {' '.join(map(str, h['load_average']))})")
    print(f"  python      {h['python']}   sqlite {h['sqlite']}   {h['postgresql'] or 'no PG'}")
    print(f"  platform    {h['platform']}")
    print(f"  sweep at    {h['now']} (previous sweep {h['previous_sweep']})")
    print(flush=True)


def print_table(rows: list[dict[str, Any]], ratios: dict[str, dict[str, Any]]) -> None:
    cols = f"{'backend':<11}{'cases':>11}{'due':>8}{'sweep s':>10}{'rows/s':>9}"
    print(cols + f"{'idle ms':>9}{'load s':>9}{'notifs':>8}{'daily roll s':>14}")
    for r in sorted(rows, key=lambda r: (r["backend"] != "sqlite", r["cases"])):
        print(
            f"{r['backend']:<11}{r['cases']:>11,}{r['due']:>8,}{r['sweep_s']:>10.2f}"
            f"{r['rows_per_s']:>9,.0f}{r['idle_sweep_ms']:>9.1f}{r['load_s']:>9.1f}"
            f"{r['notifications']:>8,}{r['daily_roll_s']:>14.2f}"
        )
    for backend, r in ratios.items():
        verdict = "PASS" if r["pass"] else "FAIL"
        print(
            f"{backend:<11}ratio big/small = {r['big_s']:.2f} s / {r['small_s']:.2f} s = "
            f"{r['ratio']:.2f}  (target ≤ {MAX_RATIO})  {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile both sweeps (a fair ratio); print the big one's top 30",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    pg_bin = find_pg_bin()
    if "postgresql" in backends and pg_bin is None:
        print("PostgreSQL binaries not found: /usr/lib/postgresql/*/bin or pg_ctl on PATH")
        return 2
    h = header(args, pg_bin)
    print_header(h)
    reg = registry()  # loaded once per process, before anything is timed
    assert reg.workflow("dibao")
    with ExitStack() as stack:
        probe = make_engine("sqlite://")
        upgrade(probe)
        with make_session_factory(probe)() as session:
            world = World(load_calendar(session))  # the calendar the sweep will load (empty DB)
        probe.dispose()
        urls = {}
        for backend in backends:
            if backend == "sqlite":
                urls[backend] = stack.enter_context(sqlite_urls())
            else:
                assert pg_bin is not None
                urls[backend] = stack.enter_context(postgres_urls(pg_bin))
        rows: list[dict[str, Any]] = []
        for n in (args.small, args.big):
            t0 = time.perf_counter()
            plan, batches = world.cases(n, args.due, args.seed)
            chunks = list(batches)  # generated once, loaded into each backend
            print(
                f"[{n:,} cases] generated in {time.perf_counter() - t0:.1f} s; due by state "
                f"{dict(plan.due_by_state)}; rungs by target level "
                f"{dict(sorted(plan.rungs_by_target.items()))}; expiry {plan.expiry}",
                flush=True,
            )
            for backend in backends:
                url = urls[backend](n)
                result = run_dataset(backend, url, world.static_rows(), plan, chunks, args.profile)
                if backend == "sqlite":
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                else:
                    drop_postgres_db(url)
                print(
                    f"[{backend}] {n:,} cases: loaded {result['rows_loaded']:,} rows in "
                    f"{result['load_s']:.1f} s; sweep of {args.due:,} due {result['sweep_s']:.2f}"
                    f" s; idle sweep {result['idle_sweep_ms']:.1f} ms",
                    flush=True,
                )
                if n == args.big:
                    print(f"[{backend}] due query: {result['due_query']}")
                    for line in result["plan"]:
                        print(f"[{backend}]   {line}")
                    if result["profile"]:
                        print(result["profile"])
                rows.append(result)
            del chunks, batches
    ratios: dict[str, dict[str, Any]] = {}
    for backend in backends:
        by_n = {r["cases"]: r for r in rows if r["backend"] == backend}
        big, small = by_n[args.big]["sweep_s"], by_n[args.small]["sweep_s"]
        ratio = big / small
        ratios[backend] = {
            "big_s": big,
            "small_s": small,
            "ratio": round(ratio, 3),
            "pass": ratio <= MAX_RATIO,
        }
    print()
    print_table(rows, ratios)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"header": h, "target_max_ratio": MAX_RATIO, "results": rows, "ratios": ratios},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nresults: {RESULTS.relative_to(ROOT)}")
    return 0 if all(r["pass"] for r in ratios.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
