"""institution accounts: users.institution_id

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

A 敬老院 / 供养服务机构 gets accounts of its own: `users.institution_id` (nullable, a foreign key
to institutions, indexed) binds a member of its staff to it. The rule "set exactly when the
account's one role is institution_staff" spans `users` and `user_roles`, which no CHECK can
see; it is kept by the one writer of accounts (caseflow.accounts.staff, refusing any other
combination in Chinese) and re-imposed whenever an actor is built from a row
(caseflow.kernel.actors.account_reach), so a row edited by hand never widens anyone's reach.
Existing accounts stay unbound.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with an inline REFERENCES (SQLite accepts one whose default is NULL;
        # Alembic would want a batch copy, which would drop and recreate users — and cases,
        # events and sign-offs refer to it).
        op.execute(
            "ALTER TABLE users ADD COLUMN institution_id INTEGER REFERENCES institutions (id)"
        )
    else:
        op.add_column("users", sa.Column("institution_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_users_institution_id", "users", "institutions", ["institution_id"], ["id"]
        )
    op.create_index("ix_users_institution_id", "users", ["institution_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_users_institution_id", table_name="users")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_users_institution_id", "users", type_="foreignkey")
    # SQLite ≥ 3.35 drops the column with its inline REFERENCES.
    op.drop_column("users", "institution_id")
