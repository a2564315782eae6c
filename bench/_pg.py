"""A throwaway PostgreSQL server for bench/engine.py: the logic of tests/support/pgserver.py,
copied so that benchmarks never import the test suite. initdb + pg_ctl in a temporary directory,
run as the `postgres` OS user when we are root (PostgreSQL refuses to run as root).

Durability is set to match the SQLite side (WAL, synchronous=NORMAL: a commit is not flushed to
disk on its own, checkpoints are): synchronous_commit=off, fsync and full_page_writes left on.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_SETTINGS = {
    "synchronous_commit": "off",
    "shared_buffers": "256MB",
    "max_connections": "20",
}


def find_pg_bin() -> Path | None:
    """The newest installed PostgreSQL bin directory (Debian layout or PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if candidates:
        return Path(candidates[-1])
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def pg_version(bin_dir: Path) -> str:
    """`pg_ctl --version` of the binaries, e.g. "PostgreSQL 15.18"."""
    out = subprocess.run(
        [str(bin_dir / "pg_ctl"), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return out.replace("pg_ctl (PostgreSQL)", "PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_postgres: bool) -> None:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@contextmanager
def throwaway_server(bin_dir: Path) -> Iterator[str]:
    """Start a private server on a free loopback port; yield its URL; stop and delete it."""
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="caseflow-bench-pg-"))
    data = base / "data"
    if as_postgres:
        shutil.chown(base, "postgres")
    port = _free_port()
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "caseflow", "--auth=trust"]
    _run([*initdb, "-E", "UTF8", "--locale=C"], as_postgres)
    settings = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 {settings}"
    pg_ctl = str(bin_dir / "pg_ctl")
    _run([pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(base / "log"), "start"], as_postgres)
    try:
        yield f"postgresql+psycopg://caseflow@127.0.0.1:{port}/postgres"
    finally:
        _run([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], as_postgres)
        shutil.rmtree(base, ignore_errors=True)
