"""supplementary rolls: payment_rolls.supplement_no

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

A case approved after its township's roll for a month was prepared used to wait until the roll
was voided and prepared again. A supplementary roll (补发名单) for the same township and month now
lists only such cases, through the same check and sign-off. The column numbers a month's rolls:
0 is the regular roll (existing rows), 1, 2, … its supplements.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payment_rolls",
        sa.Column("supplement_no", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # Not a batch (copy-and-rename) on SQLite: that would drop the immutability triggers of the
    # table; SQLite 3.35+ drops a column in place, as PostgreSQL does.
    op.execute("ALTER TABLE payment_rolls DROP COLUMN supplement_no")
