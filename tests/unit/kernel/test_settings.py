"""The one configuration: environment over caseflow.toml over defaults, checked by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.kernel.settings import (
    ConfigError,
    describe,
    hide_password,
    load_settings,
    production_problems,
)

SECRET = "s" * 40


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "caseflow.toml"
    path.write_text(text, encoding="utf-8")
    return {"CASEFLOW_CONFIG": str(path)}


def test_defaults_without_file_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.env == "development" and not settings.production
    assert settings.session_lifetime_minutes == 480
    assert settings.sweep_interval_seconds == 60.0
    assert settings.district_code == "640502"
    assert settings.config_file is None
    assert set(settings.origins.values()) == {"default"}


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    environ = write(
        tmp_path, 'district_code = "640521"\napi_rate_limit = 30\nlog_format = "json"\n'
    )
    environ["CASEFLOW_API_RATE_LIMIT"] = "45"
    settings = load_settings(environ)
    assert settings.district_code == "640521"
    assert settings.origins["district_code"] == str(tmp_path / "caseflow.toml")
    assert (
        settings.api_rate_limit == 45
        and settings.origins["api_rate_limit"] == "CASEFLOW_API_RATE_LIMIT"
    )
    assert settings.log_format == "json"


def test_caseflow_toml_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "caseflow.toml").write_text("session_lifetime_minutes = 30\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).session_lifetime_minutes == 30


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sweep_intervall = 5\n", ["未知的配置项", "sweep_intervall", "unknown keys"]),
        ('api_rate_limit = "many"\n', ["api_rate_limit", "整数", "integer"]),
        ('log_format = "xml"\n', ["log_format", "text / json"]),
        ("sweep_interval_seconds = -1\n", ["sweep_interval_seconds", "负数", "negative"]),
        ("env = [\n", ["无法读取配置文件", "cannot read"]),
    ],
)
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, text: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    for word in words:
        assert word in str(caught.value)


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="CASEFLOW_IN_PROCESS_WORKER"):
        load_settings({"CASEFLOW_IN_PROCESS_WORKER": "perhaps"})
    assert load_settings({"CASEFLOW_IN_PROCESS_WORKER": "false"}).in_process_worker is False


def test_a_named_config_file_that_is_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="配置文件不存在"):
        load_settings({"CASEFLOW_CONFIG": str(tmp_path / "nowhere.toml")})


def test_production_requires_a_long_secret_and_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problems = production_problems(load_settings({"CASEFLOW_ENV": "production"}))
    assert len(problems) == 2
    assert "secret_key" in problems[0] and "CASEFLOW_SECRET_KEY" in problems[0]
    assert "会话密钥" in problems[0] and "requires secret_key" in problems[0]
    assert "CASEFLOW_DATABASE_URL" in problems[1]
    short = load_settings(
        {"CASEFLOW_ENV": "production", "CASEFLOW_SECRET_KEY": "abc", "CASEFLOW_DATABASE_URL": "x"}
    )
    assert ["太短" in p for p in production_problems(short)] == [True]
    good = {
        "CASEFLOW_ENV": "production",
        "CASEFLOW_SECRET_KEY": SECRET,
        "CASEFLOW_DATABASE_URL": "x",
    }
    assert production_problems(load_settings(good)) == []
    assert production_problems(load_settings({})) == []  # development may leave both out


def test_the_listing_hides_the_secret_and_the_database_password() -> None:
    settings = load_settings(
        {"CASEFLOW_SECRET_KEY": SECRET, "CASEFLOW_DATABASE_URL": "postgresql://cf:pw9@db/cf"}
    )
    text = "\n".join(describe(settings))
    assert SECRET not in text and "pw9" not in text
    assert "postgresql://cf:***@db/cf" in text
    assert hide_password("sqlite:///instance/x.sqlite3") == "sqlite:///instance/x.sqlite3"
