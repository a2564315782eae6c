"""adjustment bounds: withdrawal of an adjustment before the roll is checked

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

Reserved slot: the change this revision carries is filled in by the work that needs it; until
then it changes nothing, so the chain stays linear while that work lands piece by piece.
"""

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
