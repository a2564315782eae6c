"""sign-in throttle per address and account, per-user session generation

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

Sign-in was throttled per username only: five wrong passwords locked anyone out of an account,
and one address could guess across many accounts unslowed. `sign_in_guards` holds a back-off
(a growing wait, never a lock-out) per address, per account tried from browsers it never signed
in on, per browser it did sign in on, and per signed-in user's current-password check — in the
database, so several app servers share it. `users.session_generation` is part of every sign-in
cookie and is raised on sign-out, password change and an admin's reset: a cookie copied before
then is refused. Existing accounts start at generation 0 (their old cookies carried a different
token, so every session signs in again once).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_guards",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index(
        "ix_sign_in_guards_last_failure_at", "sign_in_guards", ["last_failure_at"], unique=False
    )
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop and recreate users, which
    # cases, events and sign-offs refer to, and SQLite's foreign keys refuse that.
    op.drop_column("users", "session_generation")
    op.drop_index("ix_sign_in_guards_last_failure_at", table_name="sign_in_guards")
    op.drop_table("sign_in_guards")
