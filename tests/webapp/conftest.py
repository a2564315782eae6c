"""Web fixtures: the app on the same database as the `engine` fixture (SQLite and PostgreSQL),
a test client, an `auth` helper, and a scene of two townships with a case each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from support import World
from websupport import HASH, AuthActions, Scene, make_app, make_side


@pytest.fixture
def app(world: World, engine: Engine, tmp_path: Path) -> Iterator[Flask]:
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    flask_app = make_app(engine, tmp_path)
    yield flask_app
    flask_app.extensions["caseflow_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def scene(world: World, app: Flask) -> Scene:
    """Own township (滨河镇, the world's village) and the other township (文昌镇)."""
    return Scene(
        own=make_side(world, app, world.village, "clerk"),
        other=make_side(world, app, world.other_township, "other_clerk"),
    )
