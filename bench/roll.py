"""Benchmark of the monthly payment roll: prepare the roll of one township with N households in
payment (rows, totals, risk checks), then build the bank files (.xlsx and .csv).

    python bench/roll.py --households 200000 --backend both

Data comes from bench/_rolldata.py (bulk inserts, not fire()). Prepare is timed once without
tracemalloc, then once more (the next month) under tracemalloc for the peak of Python memory;
the process's peak RSS (getrusage) is printed too.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

_HERE = Path(__file__).resolve().parent
# Run as a script this folder would come first on sys.path, and bench/queue.py would shadow the
# standard library's `queue` (psycopg needs it): drop it, import the helpers as bench.*.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from sqlalchemy import Engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._pg import find_pg_bin, pg_version, throwaway_server  # noqa: E402
from bench._rolldata import MONTH, NOW, build  # noqa: E402
from caseflow.bootstrap import boot  # noqa: E402
from caseflow.db.engine import make_engine  # noqa: E402
from caseflow.db.models import Case  # noqa: E402
from caseflow.db.schema import upgrade  # noqa: E402
from caseflow.payments.export import build_file  # noqa: E402
from caseflow.payments.models import RiskFinding  # noqa: E402
from caseflow.payments.months import add_months  # noqa: E402
from caseflow.payments.roll import prepare_roll  # noqa: E402
from caseflow.workflow.registry import registry  # noqa: E402

boot()  # the composition root, as every entry point calls it


def databases(backend: str) -> Iterator[tuple[str, str]]:
    """(name, URL) of a fresh database per backend asked for; a PostgreSQL server lives while
    its database is being used."""
    with tempfile.TemporaryDirectory(prefix="caseflow-bench-roll-") as tmp:
        if backend in ("sqlite", "both"):
            yield "SQLite", f"sqlite:///{tmp}/roll.sqlite3"
    if backend in ("postgresql", "both"):
        bin_dir = find_pg_bin()
        if bin_dir is None:
            print("PostgreSQL not installed: skipped", file=sys.stderr)
            return
        with throwaway_server(bin_dir) as url:
            yield pg_version(bin_dir), url


T = TypeVar("T")


def mb(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """The result, wall-clock seconds and CPU seconds of this process (the CI box is shared)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def run(name: str, url: str, households: int) -> None:
    engine: Engine = make_engine(url)
    upgrade(engine)
    world, wall, _ = timed(lambda: build(engine, households))
    print(f"[{name}] data: {households:,} households in payment loaded in {wall:.1f} s")
    registry()  # definitions load once per process: not part of the roll's cost
    with Session(engine, expire_on_commit=False) as s:
        roll, wall, cpu = timed(lambda: prepare_roll(s, world.actor, "640502100", MONTH, NOW))
        count = len(s.scalars(select(RiskFinding.id).where(RiskFinding.roll_id == roll.id)).all())
        print(
            f"[{name}] prepare roll {MONTH}: {wall:.2f} s wall, {cpu:.2f} s CPU — "
            f"{roll.row_count:,} rows, total {roll.total_fen / 100:,.2f} yuan, "
            f"{count} risk findings"
        )
        tracemalloc.start()
        nxt = add_months(MONTH, 1)
        roll2, wall, cpu = timed(lambda: prepare_roll(s, world.actor, "640502100", nxt, NOW))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"[{name}] prepare roll {nxt} under tracemalloc: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{roll2.row_count:,} rows, peak Python memory {mb(peak)}"
        )
        case_no = s.scalar(select(Case.case_no).where(Case.id == roll.case_id)) or "roll"
        got = {
            fmt: timed(lambda fmt=fmt: build_file(s, roll, case_no, fmt))  # type: ignore[misc]
            for fmt in ("xlsx", "csv")
        }
        (x, xw, xc), (c, cw, cc) = got["xlsx"], got["csv"]
        print(f"[{name}] bank file        .xlsx (write_only)     .csv")
        print(f"[{name}]   wall           {xw:>8.2f} s          {cw:>8.2f} s")
        print(f"[{name}]   CPU            {xc:>8.2f} s          {cc:>8.2f} s")
        print(f"[{name}]   size           {mb(len(x.data)):>10}          {mb(len(c.data)):>10}")
        print(f"[{name}]   lines          {x.count:>10,}          {c.count:>10,}")
        xt, ct = x.total_fen / 100, c.total_fen / 100
        print(f"[{name}]   control total  {xt:>10,.2f}          {ct:>10,.2f}")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}; households in payment: {args.households:,}")
    for name, url in databases(args.backend):
        run(name, url, args.households)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak RSS of the whole process (data generation included): {mb(rss)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
