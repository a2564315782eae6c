"""`caseflow backup` → drop → `caseflow restore` on both databases: the same rows come back, the
audit chains verify, and a backup is never restored into the other kind of database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, inspect, select, text
from support import T0, World, build_world

from caseflow.db.engine import make_engine, make_session_factory
from caseflow.db.models import Case, CaseEvent
from caseflow.db.schema import upgrade
from caseflow.engine.fire import fire, open_case
from caseflow_web.cli import main


def run(args: list[str], url: str) -> Result:
    return CliRunner().invoke(main, args, env={"CASEFLOW_DATABASE_URL": url})


def fill(engine: Engine) -> None:
    """Staff, households, cases with hash-chained events (one of them withdrawn)."""
    with make_session_factory(engine)() as session:
        world: World = build_world(session)
        cases = [
            open_case(
                session, "dibao", world.household().id, world.actor("clerk"), T0, summary="甲"
            )
            for _ in range(3)
        ]
        fire(session, cases[0].id, "withdraw", world.actor("clerk"), T0, {"reason": "撤回"})


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.scalar(text(f'SELECT count(*) FROM "{table}"'))
            for table in inspect(conn).get_table_names()
        }


def round_trip(url: str, drop: Callable[[], object], tmp_path: Path) -> None:
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    before = counts(engine)
    engine.dispose()
    assert before["cases"] == 3 and before["case_events"] >= 4
    file = tmp_path / "caseflow.backup"
    result = run(["backup", str(file)], url)
    assert result.exit_code == 0, result.output
    drop()
    result = run(["restore", str(file)], url)
    assert result.exit_code != 0 and "--yes" in result.output  # asks before replacing anything
    result = run(["restore", "--yes", str(file)], url)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    assert counts(engine) == before
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 3
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == before["case_events"]
    engine.dispose()
    result = run(["audit", "verify"], url)
    assert result.exit_code == 0, result.output
    assert "审计链校验通过" in result.output
    assert run(["init-db"], url).exit_code == 0  # a restored database upgrades as any other


def test_sqlite_backup_drop_restore_keeps_every_row_and_the_audit_chains(tmp_path: Path) -> None:
    path = tmp_path / "live.sqlite3"
    round_trip(f"sqlite:///{path}", path.unlink, tmp_path)


@pytest.mark.postgres
def test_postgres_backup_drop_restore_keeps_every_row_and_the_audit_chains(
    pg_url: str, tmp_path: Path
) -> None:
    admin = make_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS backup_round_trip"))
        conn.execute(text("CREATE DATABASE backup_round_trip"))
    url = make_engine(pg_url).url.set(database="backup_round_trip").render_as_string(False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE backup_round_trip"))
            conn.execute(text("CREATE DATABASE backup_round_trip"))

    try:
        round_trip(url, drop, tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS backup_round_trip WITH (FORCE)"))
        admin.dispose()


def test_a_backup_is_not_restored_into_the_other_kind_of_database(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    file = tmp_path / "sqlite.backup"
    assert run(["backup", str(file)], f"sqlite:///{path}").exit_code == 0
    result = run(["restore", "--yes", str(file)], "postgresql://nobody@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "不能恢复到 postgresql 数据库" in result.output
    junk = tmp_path / "notes.txt"
    junk.write_text("hello", encoding="utf-8")
    result = run(["restore", "--yes", str(junk)], f"sqlite:///{path}")
    assert result.exit_code == 1 and "不是 caseflow 的备份文件" in result.output
