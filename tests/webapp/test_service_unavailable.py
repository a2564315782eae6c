"""A database that is down or busy gives a Chinese 503 page (JSON for the API), never a 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask
from sqlite_world import sqlite_world
from support import T0
from websupport import PASSWORD

from caseflow_web import create_app

DOWN = "postgresql://nobody@127.0.0.1:1/nowhere?connect_timeout=2"


def _down_app(tmp_path: Path) -> Flask:
    return create_app(
        {
            "DATABASE_URL": DOWN,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
            "NOW": lambda: T0,
        }
    )


def test_sign_in_while_the_database_is_down_is_a_chinese_503(tmp_path: Path) -> None:
    client = _down_app(tmp_path).test_client()
    response = client.post("/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 503
    assert "服务暂时不可用" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


def test_a_signed_in_page_while_the_database_is_down_is_a_chinese_503(tmp_path: Path) -> None:
    client = _down_app(tmp_path).test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:whatever"
    response = client.get("/cases/")
    assert response.status_code == 503
    assert "服务暂时不可用" in response.get_data(as_text=True)


def test_the_api_while_the_database_is_down_answers_503_in_json(tmp_path: Path) -> None:
    client = _down_app(tmp_path).test_client()
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer x" * 3})
    assert response.status_code == 503
    assert response.get_json()["message"]


def test_a_write_blocked_by_another_writer_is_a_busy_page_and_nothing_is_written(
    tmp_path: Path, sqlite_template: Path
) -> None:
    engine, _world = sqlite_world(sqlite_template, tmp_path)
    app = create_app(
        {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
            "NOW": lambda: T0,
            "SQLITE_BUSY_TIMEOUT_MS": 200,
        }
    )
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
    try:
        response = app.test_client().post(
            "/login", data={"username": "clerk", "password": PASSWORD}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert "系统繁忙，请稍后再试" in response.get_data(as_text=True)
    count = sqlite3.connect(str(engine.url.database)).execute("SELECT count(*) FROM login_attempts")
    assert count.fetchone()[0] == 0
    app.extensions["caseflow_engine"].dispose()
    engine.dispose()
