"""household and member corrections: versions, void reasons, transfer details

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

Reserved slot: the change this revision carries is filled in by the work that needs it; until
then it changes nothing, so the chain stays linear while that work lands piece by piece.
"""

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
