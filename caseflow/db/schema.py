"""Create or upgrade the schema through Alembic, the only way the schema is made."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text

from caseflow.db.engine import WRITER
from caseflow.kernel.resources import bundled


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at caseflow's migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(bundled("db", "migrations")))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# pg_advisory_xact_lock key for migrations: "caseflow" in ASCII, as one bigint.
MIGRATION_LOCK = 0x63617365666C6F77


def upgrade(engine: Engine) -> str | None:
    """Bring the database behind `engine` to the newest revision; safe on every start and from
    several servers starting together: the first to take the lock migrates, the others wait for
    it and then find the schema at head (PostgreSQL: a transaction-level advisory lock; SQLite:
    BEGIN IMMEDIATE, the database's write lock). Returns the revision found under the lock
    (None: an empty database)."""
    cfg = alembic_config()
    with engine.connect() as plain:
        conn = plain.execution_options(**{WRITER: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            before = None
            if conn.dialect.has_table(conn, "alembic_version"):
                before = conn.scalar(text("SELECT version_num FROM alembic_version"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before


def head_revision() -> str | None:
    """The newest revision the code's migrations know."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_problem(engine: Engine, *, need_accounts: bool = False) -> str | None:
    """Why the database cannot serve yet, in Chinese and naming the command that fixes it; None
    when it is ready. `need_accounts`: a server without a single account cannot be signed in to."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return (
            "数据库尚未初始化。请先运行 caseflow init-db 建立数据库结构，"
            "或运行 caseflow seed --demo 建立演示数据库。"
        )
    with engine.connect() as conn:
        current = conn.scalar(text("SELECT version_num FROM alembic_version"))
        head = head_revision()
        if current != head:
            return (
                f"数据库结构版本为 {current or '空'}，本程序需要 {head}。"
                "请先运行 caseflow init-db 升级数据库结构。"
            )
        if need_accounts:
            from caseflow.db.models import User  # the mapped tables are needed only here

            if not conn.scalar(select(func.count()).select_from(User)):
                return (
                    "数据库中还没有任何账号。请运行 caseflow users create-admin 建立第一个管理员，"
                    "或运行 caseflow seed --demo 载入演示数据和账号。"
                )
    return None
