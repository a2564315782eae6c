"""versioned household and member corrections

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Reserved slot: the change this revision carries is filled in by the work that needs it; until
then it changes nothing, so the chain stays linear while that work lands piece by piece.
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
