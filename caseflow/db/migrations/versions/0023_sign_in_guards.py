"""sign-in throttle per address and account, per-user session generation

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

Reserved slot: the change this revision carries is filled in by the work that needs it; until
then it changes nothing, so the chain stays linear while that work lands piece by piece.
"""

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
