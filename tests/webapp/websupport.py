"""Shared helpers of the web tests (a unique module name: every test folder has a conftest)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from support import T0, World

from caseflow.accounts.users import hash_password
from caseflow.casework.attachments import add_attachment, store_file
from caseflow.db.models import Attachment, Case, Household
from caseflow.engine.fire import open_case
from caseflow_web import create_app

PASSWORD = "test-pass-2026"
# Hashing is deliberately slow (scrypt): hash once for the whole run, share it among users.
HASH = hash_password(PASSWORD)
PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Clock:
    """The app's clock: a minute passes on every reading, so events stay in order."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def make_app(engine: Engine, tmp_path: Path, **config: Any) -> Flask:
    """An app on the fixture's database (same URL, its own engine)."""
    settings: dict[str, Any] = {
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "NOW": Clock(T0 + timedelta(hours=1)),
    }
    settings.update(config)
    return create_app(settings)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD) -> Any:
        """Sign in through the form (asserting success)."""
        response = self.client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self) -> Any:
        return self.client.post("/logout")


@dataclass
class Side:
    """One township's records: a household, an open 低保 case, an attachment."""

    household: Household
    case: Case
    attachment: Attachment


@dataclass
class Scene:
    own: Side
    other: Side


def make_side(world: World, app: Flask, unit: Any, opener: str) -> Side:
    hh = world.household(unit=unit)
    case = open_case(world.session, "dibao", hh.id, world.actor(opener), T0, summary="测试")
    stored = store_file(
        io.BytesIO(PDF), "户口簿.pdf", Path(app.config["ATTACHMENT_DIR"]), 10 * 1024 * 1024
    )
    att = add_attachment(world.session, world.actor(opener), case.id, stored, "户口簿.pdf", "", T0)
    return Side(hh, case, att)
