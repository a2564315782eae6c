"""adjustment bounds: withdrawal of an adjustment before the roll is checked

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

A 补发/扣回 registered by mistake could not be taken back: removing its row from a prepared roll
only put it on the next roll again. The preparer now withdraws it (who, when, why kept on the
adjustment), while it waits for a roll or sits in a roll not yet checked; a withdrawn adjustment
is never rolled again. Existing adjustments were never withdrawn: the columns start empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_adjustments") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column(
                "withdrawn_by_id",
                sa.Integer(),
                sa.ForeignKey("users.id", name="fk_payment_adjustments_withdrawn_by"),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column("withdrawn_reason", sa.String(300), nullable=False, server_default="")
        )


def downgrade() -> None:
    # Dropping the column drops its foreign key with it (PostgreSQL; SQLite's copy omits it).
    with op.batch_alter_table("payment_adjustments") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_by_id")
        batch.drop_column("withdrawn_at")
