"""the queue's priority slice: a partial index over open priority cases in due order

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

The queue ranks 因大病 / 因重残 / 因突发事件 cases above every case not yet overdue. Computed in
ORDER BY, that rank made SQLite sort a jurisdiction's open cases for every page (200k cases: a
township reviewer's page 2.3 → 13.6 ms). The page is now read as index-ordered slices; this
index serves the slice of priority cases not yet overdue. Its SQLite WHERE clause repeats the
query's own terms, as SQLite's rule for using a partial index requires.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

COLUMNS = ["due_at", "state", "workflow_key", "org_path", "escalation_level", "assignee_id"]


def upgrade() -> None:
    op.create_index(
        "ix_cases_queue_priority",
        "cases",
        COLUMNS,
        sqlite_where=sa.text(
            "is_final = 0 AND (flag_illness = 1 OR flag_disability = 1 OR flag_sudden = 1)"
        ),
        postgresql_where=sa.text(
            "NOT is_final AND (flag_illness OR flag_disability OR flag_sudden)"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_queue_priority", table_name="cases")
