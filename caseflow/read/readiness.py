"""Whether this server may take traffic (`/readyz`): the database answers, its schema is the
code's, and the working-day calendar covers this year and next (deadlines computed on a
weekends-only fallback would be wrong). Each check says why in a short Chinese line that names
no host, user or value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from caseflow.clock.calendar_store import load_calendar
from caseflow.db.schema import head_revision
from caseflow.kernel.timeutil import to_local


@dataclass(frozen=True)
class Check:
    name: str  # database | migrations | calendar
    ok: bool
    detail: str


def readiness(engine: Engine, now: datetime) -> list[Check]:
    """The three checks, in order; a later one is reported as not run when the database is down."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            tables = conn.dialect.has_table(conn, "alembic_version")
            current = (
                conn.scalar(text("SELECT version_num FROM alembic_version")) if tables else None
            )
    except SQLAlchemyError:
        down = "数据库无法连接"
        return [
            Check("database", False, down),
            Check("migrations", False, "未检查（数据库无法连接）"),
            Check("calendar", False, "未检查（数据库无法连接）"),
        ]
    checks = [Check("database", True, "数据库可连接")]
    head = head_revision()
    if current != head:
        checks.append(
            Check("migrations", False, f"数据库结构版本为 {current or '空'}，程序需要 {head}")
        )
        checks.append(Check("calendar", False, "未检查（数据库结构未就绪）"))
        return checks
    checks.append(Check("migrations", True, f"数据库结构版本 {head}"))
    year = to_local(now).year
    with Session(engine) as session:
        warnings = load_calendar(session).coverage_warnings([year, year + 1])
    if warnings:
        checks.append(Check("calendar", False, "；".join(warnings)))
    else:
        checks.append(Check("calendar", True, f"工作日历已覆盖 {year}、{year + 1} 年"))
    return checks
