"""A throwaway PostgreSQL server for the test run, started from the installed binaries.

pytest-postgresql cannot start a server as root (CI and these machines run as root), so this
starts one the same way — initdb + pg_ctl in a temporary directory — switching to the `postgres`
OS user when needed. CASEFLOW_TEST_POSTGRES_URL points the tests at an existing server instead.
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


def find_pg_bin() -> Path | None:
    """The newest installed PostgreSQL bin directory (Debian layout or PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if candidates:
        return Path(candidates[-1])
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


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
    as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
    base = Path(tempfile.mkdtemp(prefix="caseflow-pg-"))
    data = base / "data"
    if as_postgres:
        shutil.chown(base, "postgres")
    port = _free_port()
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "caseflow",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        as_postgres,
    )
    opts = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-w",
            "-l",
            str(base / "log"),
            "start",
        ],
        as_postgres,
    )
    try:
        yield f"postgresql+psycopg://caseflow@127.0.0.1:{port}/postgres"
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], as_postgres)
        shutil.rmtree(base, ignore_errors=True)
