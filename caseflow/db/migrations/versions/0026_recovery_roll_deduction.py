"""recovery repayments withheld from a payment roll

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-06

Where the rule set allows it (`recovery_roll_deduction_allowed`), a 追回 balance is withheld
from the household's next rolls: each withheld amount is a roll row of its own and a repayment
of the recovery. `recovery_payments.roll_row_id` links the repayment to that row, so that a
cancelled roll or a removed row no longer counts as repaid (the balance comes back by itself).
One row repays at most once (unique).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recovery_payments") as batch:
        batch.add_column(sa.Column("roll_row_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_recovery_payments_roll_row_id", "roll_rows", ["roll_row_id"], ["id"]
        )
        batch.create_unique_constraint("uq_recovery_payments_roll_row_id", ["roll_row_id"])


def downgrade() -> None:
    with op.batch_alter_table("recovery_payments") as batch:
        batch.drop_constraint("uq_recovery_payments_roll_row_id", type_="unique")
        batch.drop_constraint("fk_recovery_payments_roll_row_id", type_="foreignkey")
        batch.drop_column("roll_row_id")
