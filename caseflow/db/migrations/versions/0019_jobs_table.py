"""background jobs, upload and rate-limit state in the database (several app servers)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

Several app servers behind one load balancer share nothing but the database. A ledger upload
and a comparison started from the web kept their state, their progress, the uploaded file and
its validation report in a folder of the server that took them, and ran in a thread of that
server: another server could not show them and no separate worker could run them. These two
tables hold that state, the queue a `caseflow worker` claims from (SKIP LOCKED), and the files.
(The API rate windows were already a table, api_rate_windows; the sweep already runs under a
database lease.) On SQLite the same tables are created in a database file of their own beside
the main one (see caseflow.ledger.jobs.job_engine); there they are created here too, unused.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "background_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("steps", sa.String(200), nullable=False),
        sa.Column("task", sa.String(20), nullable=False),
        sa.Column("task_args", sa.JSON(), nullable=False),
        sa.Column("queue", sa.String(10), nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_background_jobs_queue", "background_jobs", ["queue", "id"])
    op.create_index("ix_background_jobs_user", "background_jobs", ["user_id", "created_at"])
    op.create_table(
        "background_job_files",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("background_job_files")
    op.drop_index("ix_background_jobs_user", table_name="background_jobs")
    op.drop_index("ix_background_jobs_queue", table_name="background_jobs")
    op.drop_table("background_jobs")
