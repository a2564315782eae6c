"""Create or upgrade the schema through Alembic, the only way the schema is made."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from caseflow import PROJECT_ROOT


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at caseflow's migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "caseflow" / "db" / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database behind `engine` to the newest revision."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
