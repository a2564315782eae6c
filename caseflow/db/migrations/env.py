"""Alembic environment: the URL comes from the caller's config or CASEFLOW_DATABASE_URL."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning

from caseflow.db.engine import database_url, make_engine
from caseflow.db.models import Base

# A batch migration on SQLite reflects the tables its foreign keys reach, `cases` among them;
# SQLAlchemy cannot reflect the expression index ix_cases_queue_due and says so on every upgrade.
# Nothing recreates `cases` (the index stays as 0003 made it), so the warning only alarms operators.
warnings.filterwarnings(
    "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
