"""same-name heads held for a person to decide

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

A roster without a household number or a head's ID number is keyed by head name + village; two
households whose heads share a name in one village were silently merged (false C7 results). The
comparison now matches on members' ID numbers first and, where only the name key is left and it
is ambiguous, keeps the households apart and marks each result `needs_decision` (人工判定): the
worklist has a tab for them and the export a sheet. Existing results were never judged ambiguous:
false. The index serves the tab's count and list per run.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "comparison_results",
        sa.Column("needs_decision", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_comparison_results_run_decision", "comparison_results", ["run_id", "needs_decision"]
    )


def downgrade() -> None:
    op.drop_index("ix_comparison_results_run_decision", table_name="comparison_results")
    with op.batch_alter_table("comparison_results") as batch:
        batch.drop_column("needs_decision")
