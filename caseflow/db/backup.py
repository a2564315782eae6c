"""Backups of the whole database and their restore: `pg_dump`/`pg_restore` (custom format) for
PostgreSQL, SQLite's online backup API for the embedded file. Both may run while servers serve:
pg_dump reads one snapshot; the SQLite API copies page by page under the database's own locks.

A backup file says what it is by its first bytes ("PGDMP" / "SQLite format 3"); restoring one into
the other kind of database is refused before anything changes.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from caseflow.kernel.errors import InputError

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(InputError):
    """A backup or restore that cannot be done (the message is Chinese)."""


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore: the newest installed server's (Debian layout) or the one on PATH."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[-3])
    )
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（postgresql-client）")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it (no driver name, no password: that goes in PGPASSWORD, so it
    never shows in the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(database)


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["（无输出）"])[-1]
        raise BackupError(f"{what}失败：{first}")


def _sqlite_copy(source: Path, dest: Path) -> None:
    """Page by page through SQLite's backup API, under both databases' locks."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(url: str, target: Path) -> None:
    """Write a backup of the database at `url` to `target` (replaced when it exists)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"备份文件不能是目录：{target}")
    partial = target.with_name(target.name + ".partial")  # never half a backup under its name
    if make_url(url).get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run([_pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(partial), dsn], env, "备份")
    else:
        _sqlite_copy(_sqlite_path(url), partial)
    os.replace(partial, target)


def kind_of(path: Path) -> str:
    """ "postgresql" or "sqlite" by the file's first bytes; BackupError for anything else."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"备份文件不存在：{path}") from None
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"不是 caseflow 的备份文件（既非 pg_dump 自定义格式，也非 SQLite）：{path}")


def restore(url: str, source: Path) -> None:
    """Replace the database at `url` with the backup `source` (tables, data, triggers)."""
    kind = kind_of(Path(source))
    backend = make_url(url).get_backend_name()
    if kind != backend:
        raise BackupError(f"备份文件是 {kind} 数据库的备份，不能恢复到 {backend} 数据库")
    if backend == "postgresql":
        dsn, env = _libpq(url)
        cmd = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-acl"]
        _run([*cmd, "--single-transaction", "-d", dsn, str(source)], env, "恢复")
        return
    path = _sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(Path(source), path)
