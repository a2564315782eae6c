"""queue indexes: partial indexes over open cases for the work queue and its tab counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

- ix_cases_queue_due: open cases in queue order ((due_at IS NULL), due_at), with every column
  the queue filters on, so the first page is read in order and stops after LIMIT rows.
- ix_cases_queue_state: open cases by (state, workflow, org path) carrying due date, escalation
  level and assignee, so the counts per tab are an index-only scan.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_SQLITE = sa.text("is_final = 0")
OPEN_PG = sa.text("NOT is_final")


def upgrade() -> None:
    op.create_index(
        "ix_cases_queue_due",
        "cases",
        [
            sa.text("(due_at IS NULL)"),
            "due_at",
            "state",
            "workflow_key",
            "org_path",
            "escalation_level",
            "assignee_id",
        ],
        unique=False,
        sqlite_where=OPEN_SQLITE,
        postgresql_where=OPEN_PG,
    )
    op.create_index(
        "ix_cases_queue_state",
        "cases",
        ["state", "workflow_key", "org_path", "due_at", "escalation_level", "assignee_id"],
        unique=False,
        sqlite_where=OPEN_SQLITE,
        postgresql_where=OPEN_PG,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_queue_state", table_name="cases")
    op.drop_index("ix_cases_queue_due", table_name="cases")
