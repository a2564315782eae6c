"""A world on a SQLite file only, for what is SQLite's own behaviour (its write lock)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine
from support import World, build_world
from websupport import HASH

from caseflow.db.engine import make_engine, make_session_factory


def sqlite_world(template: Path, tmp_path: Path) -> tuple[Engine, World]:
    """A migrated SQLite copy with the test world's users (password PASSWORD)."""
    path = tmp_path / "caseflow.sqlite3"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    world = build_world(make_session_factory(engine)())
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    return engine, world
