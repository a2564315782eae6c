"""Starting with a bad configuration: one clear message (Chinese, then English) and a non-zero
exit before anything listens or writes; a district's own workflow folder is validated like the
shipped one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from caseflow import WORKFLOWS_DIR
from caseflow_web.cli import main

UNREACHABLE = "postgresql://caseflow:pw-not-shown@127.0.0.1:1/caseflow"


def invoke(args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Result:
    started: list[bool] = []
    monkeypatch.setattr("caseflow_web.server.run", lambda **_kw: started.append(True))
    result = CliRunner().invoke(main, args, env=env)
    assert not started, "the server must not start listening"
    return result


def test_production_without_a_secret_key_refuses_to_serve_naming_the_key(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, path)
    env = {"CASEFLOW_ENV": "production", "CASEFLOW_DATABASE_URL": f"sqlite:///{path}"}
    result = invoke(["serve"], env, monkeypatch)
    assert result.exit_code == 1
    assert "生产模式必须设置会话密钥 secret_key" in result.output
    assert "production mode requires secret_key (CASEFLOW_SECRET_KEY" in result.output
    assert "Traceback" not in result.output
    assert "CASEFLOW_DATABASE_URL" not in result.output  # that one was given


def test_config_check_lists_every_missing_production_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["config", "check"], {"CASEFLOW_ENV": "production"}, monkeypatch)
    assert result.exit_code == 1
    assert "secret_key" in result.output and "database_url" in result.output


@pytest.mark.parametrize("command", [["serve"], ["init-db"], ["audit", "verify"]])
def test_an_unreachable_database_is_one_message_naming_it_without_its_password(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(command, {"CASEFLOW_DATABASE_URL": UNREACHABLE}, monkeypatch)
    assert result.exit_code == 1
    assert "无法连接数据库 postgresql://caseflow:***@127.0.0.1:1/caseflow" in result.output
    assert "cannot connect to the database" in result.output
    assert "pw-not-shown" not in result.output and "Traceback" not in result.output


def test_a_districts_own_workflow_folder_is_checked_like_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS_DIR, own)
    result = invoke(["workflows", "check"], {"CASEFLOW_WORKFLOWS_DIR": str(own)}, monkeypatch)
    assert result.exit_code == 0, result.output
    text = (own / "dibao.yaml").read_text(encoding="utf-8")
    (own / "dibao.yaml").write_text(text.replace("states:", "statez:", 1), encoding="utf-8")
    result = invoke(["workflows", "check"], {"CASEFLOW_WORKFLOWS_DIR": str(own)}, monkeypatch)
    assert result.exit_code == 1
    assert "dibao.yaml" in result.output


def test_a_workflow_folder_without_rule_sets_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"CASEFLOW_WORKFLOWS_DIR": str(tmp_path)}
    (tmp_path / "rulesets").mkdir()
    result = invoke(["workflows", "check"], env, monkeypatch)
    assert result.exit_code == 1
    assert "规则集目录中没有任何规则集" in result.output and "TypeError" not in result.output
    result = invoke(
        ["workflows", "check"], {"CASEFLOW_WORKFLOWS_DIR": str(tmp_path / "no")}, monkeypatch
    )
    assert result.exit_code == 1
    assert "CASEFLOW_WORKFLOWS_DIR" in result.output and "目录不存在" in result.output
