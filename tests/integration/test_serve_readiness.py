"""`caseflow serve` refuses, in Chinese and before listening, a database it could not serve."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result

from caseflow.db.engine import make_engine
from caseflow.db.schema import alembic_config, head_revision
from caseflow_web.cli import main


def serve(url: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    started: list[bool] = []
    monkeypatch.setattr("caseflow_web.server.run", lambda **_kw: started.append(True))
    result = CliRunner().invoke(main, ["serve"], env={"CASEFLOW_DATABASE_URL": url})
    assert not started, "the server must not start listening"
    return result


def test_an_empty_database_is_refused_naming_init_db_and_the_demo_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = serve(f"sqlite:///{tmp_path / 'empty.sqlite3'}", monkeypatch)
    assert result.exit_code == 1
    assert "数据库尚未初始化" in result.output
    assert "caseflow init-db" in result.output and "caseflow seed --demo" in result.output


def test_an_outdated_schema_is_refused_naming_init_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012")
    engine.dispose()
    result = serve(url, monkeypatch)
    assert result.exit_code == 1
    assert f"数据库结构版本为 0012，本程序需要 {head_revision()}" in result.output
    assert "caseflow init-db" in result.output


def test_a_database_without_accounts_is_refused_naming_the_demo_seed(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "blank.sqlite3"
    shutil.copy(sqlite_template, path)
    result = serve(f"sqlite:///{path}", monkeypatch)
    assert result.exit_code == 1
    assert "还没有任何账号" in result.output and "caseflow seed --demo" in result.output


def test_a_ready_database_starts_the_server(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ready.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO org_units (code, name, level, path)"
            " VALUES ('640502', '沙坡头区', 'district', '/1/')"
        )
        conn.exec_driver_sql(
            "INSERT INTO users (username, display_name, password_hash, org_unit_id, active,"
            " created_at) VALUES ('admin', '管理员', 'x', 1, 1, '2026-12-01 00:00:00')"
        )
    engine.dispose()
    started: list[bool] = []
    monkeypatch.setattr("caseflow_web.server.run", lambda **_kw: started.append(True))
    result = CliRunner().invoke(main, ["serve"], env={"CASEFLOW_DATABASE_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    assert started == [True]
