"""Ledger benchmark: import a 500,000-person registry and a 200,000-person 低保 roster, compare
them, and set the wall time and peak memory beside the time to merely parse the same files.

    python bench/ledger.py                 # full size, .csv and .xlsx, SQLite
    python bench/ledger.py --scale 0.1     # a quick run
    python bench/ledger.py --postgres      # PostgreSQL as well
    python bench/ledger.py --formats csv --profile out.prof

Every figure is measured in a child process of its own (peak RSS from resource.getrusage, so a
figure never includes memory another measurement used). The database is migrated and seeded
(org units, the example policy) before the child starts; the child's clock covers import of both
files plus the comparison. CPU seconds (user + system of the child) are printed beside wall
time because on a shared machine wall time mostly measures the neighbours; on PostgreSQL they
leave out the server's own work. Targets (issue 7): ≤ 60 s end to end for .csv, ≤ 1 GiB peak,
≤ 3 × the bare parse time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
_HERE = Path(__file__).resolve().parent
# Run as a script this folder would come first on sys.path (bench/queue.py would shadow `queue`).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))

from bench._ledgerdata import Files, make_files  # noqa: E402
from bench._pg import find_pg_bin, pg_version, throwaway_server  # noqa: E402

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TARGET_SECONDS = 60.0
TARGET_BYTES = 1 << 30
TARGET_RATIO = 3.0
DATA_DIR = Path(tempfile.gettempdir()) / "caseflow-bench-ledger"


# --- children ----------------------------------------------------------------------------------


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _cpu_seconds() -> float:
    """User + system CPU of this process: less disturbed than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_parse(registry: Path, roster: Path) -> dict[str, Any]:
    """Read both files with the bare reader (decode, csv parse, header detection, blank rows
    skipped), nothing else: the rows exactly as the import's validation receives them."""
    from caseflow.ledger.columns import PRESETS
    from caseflow.ledger.reader import read_cells

    cpu, start = _cpu_seconds(), time.perf_counter()
    rows = 0
    for path, kind in ((registry, "registry"), (roster, "dibao_roster")):
        _header, it = read_cells(path, PRESETS[kind])
        for _row in it:
            rows += 1
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_seconds() - cpu,
        "rows": rows,
        "peak": _peak_bytes(),
    }


def child_run(url: str, registry: Path, roster: Path, profile: str | None) -> dict[str, Any]:
    """Import both files and run the comparison; the phases timed one by one."""
    from caseflow.db.engine import make_engine, make_session_factory
    from caseflow.ledger.compare import run_comparison
    from caseflow.ledger.importer import import_roster

    session = make_session_factory(make_engine(url))()
    phases: dict[str, float] = {}
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    cpu, start = _cpu_seconds(), time.perf_counter()
    reg = import_roster(session, registry, "registry", None, NOW)
    phases["import_registry"] = time.perf_counter() - start
    t = time.perf_counter()
    dib = import_roster(session, roster, "dibao_roster", None, NOW)
    phases["import_roster"] = time.perf_counter() - t
    if reg.import_id is None or dib.import_id is None:
        raise SystemExit(f"import rejected: {reg.summary_zh()} / {dib.summary_zh()}")
    t = time.perf_counter()
    run = run_comparison(session, reg.import_id, [dib.import_id], None, NOW)
    phases["compare"] = time.perf_counter() - t
    total = time.perf_counter() - start
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)  # type: ignore[arg-type]
    return {
        "seconds": total,
        "cpu": _cpu_seconds() - cpu,
        "phases": phases,
        "rows": reg.rows_imported + dib.rows_imported,
        "counts": run.counts,
        "peak": _peak_bytes(),
    }


def _in_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --- databases ---------------------------------------------------------------------------------


def prepare(url: str) -> None:
    """Migrate and seed what a comparison needs: org units and the example policy."""
    from caseflow.accounts.orgs import ensure_district
    from caseflow.db.engine import make_engine, make_session_factory
    from caseflow.db.schema import upgrade
    from caseflow.policy.store import load_policy_file

    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        ensure_district(session)
        load_policy_file(session, ROOT / "seed" / "policy" / "640502-example.yaml", None, NOW)
        session.commit()
    engine.dispose()


def sqlite_fresh(folder: Path) -> Callable[[str], str]:
    """A fresh SQLite file per call (the previous one deleted first, to keep the disk small)."""

    def fresh(name: str) -> str:
        for old in folder.glob("*.sqlite3*"):
            old.unlink()
        return f"sqlite:///{folder / f'ledger-{name}.sqlite3'}"

    return fresh


def pg_database(base_url: str, fmt: str) -> str:
    """A fresh database on the throwaway server (the previous one of that format dropped)."""
    import psycopg

    name = f"ledger_{fmt}"
    dsn = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return base_url.rsplit("/", 1)[0] + f"/{name}"


# --- the measurement ---------------------------------------------------------------------------


def files_for(files: Files, fmt: str) -> tuple[Path, Path]:
    if fmt == "csv":
        return files.registry_csv, files.roster_csv
    return files.registry_xlsx, files.roster_xlsx


def measure(
    args: argparse.Namespace, files: Files, backends: list[tuple[str, Callable[[str], str]]]
) -> list[dict[str, Any]]:
    """Per format: one bare parse, then import+compare on a fresh database of each backend."""
    rows = []
    for fmt in args.formats:
        registry, roster = files_for(files, fmt)
        parse = _in_child(["parse", str(registry), str(roster)])
        print(f"  {fmt}: bare parse {parse['seconds']:.1f} s", flush=True)
        for backend, fresh in backends:
            url = fresh(fmt)
            prepare(url)
            extra = ["--profile", args.profile] if args.profile else []
            run = _in_child(["run", url, str(registry), str(roster), *extra])
            print(f"  {fmt} {backend}: import+compare {run['seconds']:.1f} s", flush=True)
            rows.append({"format": fmt, "backend": backend, "parse": parse, "run": run})
    return rows


def verdict(row: dict[str, Any]) -> list[str]:
    """Targets missed by one measurement (empty when all are met)."""
    missed = []
    run, parse = row["run"], row["parse"]
    if row["format"] == "csv" and run["seconds"] > TARGET_SECONDS:
        missed.append(f"时间 {run['seconds']:.1f} s > {TARGET_SECONDS:.0f} s")
    if max(run["peak"], parse["peak"]) > TARGET_BYTES:
        missed.append(f"内存 {run['peak'] / 2**20:.0f} MiB > 1024 MiB")
    if run["seconds"] > TARGET_RATIO * parse["seconds"]:
        missed.append(f"比值 {run['seconds'] / parse['seconds']:.1f} × > {TARGET_RATIO:.0f} ×")
    return missed


def print_table(rows: list[dict[str, Any]]) -> None:
    """Parse and import+compare side by side: wall seconds, CPU seconds, peak RSS, ratios."""
    head = (
        f"{'format':6} {'backend':9} {'rows':>7} | {'parse s':>7} {'cpu s':>6} {'MiB':>5} | "
        f"{'import+cmp s':>12} {'cpu s':>6} {'MiB':>5} | {'ratio':>6} {'cpu ratio':>9}  phases (s)"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        run, parse = row["run"], row["parse"]
        phases = " ".join(f"{k}={v:.1f}" for k, v in run["phases"].items())
        print(
            f"{row['format']:6} {row['backend']:9} {run['rows']:>7} | {parse['seconds']:>7.1f} "
            f"{parse['cpu']:>6.1f} {parse['peak'] / 2**20:>5.0f} | {run['seconds']:>12.1f} "
            f"{run['cpu']:>6.1f} {run['peak'] / 2**20:>5.0f} | "
            f"{run['seconds'] / parse['seconds']:>5.1f}× "
            f"{run['cpu'] / parse['cpu']:>8.1f}×  {phases}"
        )
    print()
    for row in rows:
        missed = verdict(row)
        state = "目标达成" if not missed else "未达标：" + "；".join(missed)
        print(f"{row['format']} {row['backend']}: {state}  categories={row['run']['counts']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--formats", nargs="+", choices=("csv", "xlsx"), default=["csv", "xlsx"])
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="where the files are kept")
    parser.add_argument("--profile", help="write a cProfile of the import+compare child here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    print(
        f"ledger bench: scale {args.scale:g} ({int(500_000 * args.scale)} registry persons, "
        f"{int(200_000 * args.scale)} 低保 persons); {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    t = time.perf_counter()
    files = make_files(args.data, args.scale, xlsx="xlsx" in args.formats)
    print(f"  data ready in {time.perf_counter() - t:.0f} s ({args.data})", flush=True)
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-ledger-db-") as tmp:
        rows: list[dict[str, Any]] = []
        if not args.no_sqlite:
            rows += measure(args, files, [("sqlite", sqlite_fresh(Path(tmp)))])
        if args.postgres:
            pg_bin = find_pg_bin()
            if pg_bin is None:
                print("PostgreSQL binaries not found: PostgreSQL skipped")
            else:
                with throwaway_server(pg_bin) as base:
                    name = f"pg {pg_version(pg_bin).split()[1]}"
                    rows += measure(args, files, [(name, lambda fmt: pg_database(base, fmt))])
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def child_main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode == "parse":
        result = child_parse(Path(rest[0]), Path(rest[1]))
    else:
        profile = rest[rest.index("--profile") + 1] if "--profile" in rest else None
        result = child_run(rest[0], Path(rest[1]), Path(rest[2]), profile)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        raise SystemExit(child_main(sys.argv[2:]))
    raise SystemExit(main())
