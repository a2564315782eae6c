"""The load balancer's probes: /healthz answers while the process lives; /readyz only when the
database answers, its schema is at head and the calendar covers this year and next."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from support import World

from caseflow import SEED_DIR
from caseflow.clock.calendar_store import store_overrides
from caseflow.clock.workcal import load_overrides_yaml
from caseflow.db.schema import head_revision
from caseflow.kernel.logjson import JsonFormatter
from caseflow.kernel.timeutil import utcnow


def load_2027(world: World, tmp_path: Path) -> None:
    """A complete 2027 (the shipped file is not: the notice is not out yet)."""
    path = tmp_path / "2027.yaml"
    shipped = (SEED_DIR / "calendar" / "2027-overrides.yaml").read_text(encoding="utf-8")
    path.write_text(shipped.replace("complete: false", "complete: true"), encoding="utf-8")
    overrides, complete = load_overrides_yaml(path)
    store_overrides(world.session, overrides, complete, None, utcnow())
    world.session.commit()


def test_healthz_answers_without_signing_in(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_waits_for_next_years_calendar(
    world: World, client: FlaskClient, tmp_path: Path
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert not body["checks"]["calendar"]["ok"] and "2027" in body["checks"]["calendar"]["detail"]
    load_2027(world, tmp_path)
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ready"


def test_readyz_refuses_a_schema_behind_the_code(
    world: World, engine: Engine, client: FlaskClient, tmp_path: Path
) -> None:
    load_2027(world, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    try:
        body = client.get("/readyz").get_json()
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()}
            )
    assert not body["checks"]["migrations"]["ok"]
    assert f"0012，程序需要 {head_revision()}" in body["checks"]["migrations"]["detail"]


def test_readyz_says_the_database_is_down(world: World, tmp_path: Path) -> None:
    app = make_app_on("postgresql://nobody@127.0.0.1:1/none", tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"ok": False, "detail": "数据库无法连接"}
    assert "nobody" not in response.get_data(as_text=True)  # no user, host or value leaks


def make_app_on(url: str, tmp_path: Path) -> Flask:
    from caseflow_web import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "TESTING": True})


def test_every_response_carries_a_request_id_that_the_log_lines_carry(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="caseflow.access"):
        given = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a"})
        made = client.get("/healthz?q=王大明", headers={"X-Request-Id": "bad id;<x>"})
    assert given.headers["X-Request-Id"] == "lb-7f3a"
    assert len(made.headers["X-Request-Id"]) == 32  # a header that is not a plain token is replaced
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert lines[0]["request_id"] == "lb-7f3a"
    assert lines[0]["path"] == "/healthz" and lines[0]["status"] == 200
    assert all("王大明" not in json.dumps(line, ensure_ascii=False) for line in lines)
