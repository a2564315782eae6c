"""versioned household and member corrections, former members kept, transfers between townships

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Households change: births, deaths, marriages, members moving out, typing mistakes. Before this
revision the only way to change a household was to register it again. Now:

- `members.left_on` / `members.left_reason`: a member who leaves (death, marriage, moving out,
  transfer to another household, a registration mistake) is kept with the day and the reason, so
  the history and old decisions still name them; everything that counts members for money, rolls,
  registry export, reports, printouts, guards and risk reads only members with `left_on IS NULL`.
- `household_changes`: one row per change of a household or a member — who, when, why, the
  values before and after, and the review it opened — numbered per household (`seq`, unique), so
  two clerks correcting the same household at once cannot both win.
- `transfer_requests`: a person registered in another township is moved (迁移) by the district on
  a township's request; the request, its decision and both households' changes are recorded.
Existing members stay current (NULL); nothing else is carried over.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("members", sa.Column("left_on", sa.Date(), nullable=True))
    op.add_column("members", sa.Column("left_reason", sa.String(length=20), nullable=True))
    # Duplicate checks look a person up among current members by ID number.
    op.create_index(
        "ix_members_current_id_number",
        "members",
        ["id_number"],
        sqlite_where=sa.text("left_on IS NULL"),
        postgresql_where=sa.text("left_on IS NULL"),
    )
    op.create_table(
        "household_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", UTC_DT, nullable=False),
        sa.Column("review_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("org_path", sa.String(length=200), nullable=False),
        sa.UniqueConstraint("household_id", "seq", name="uq_household_changes_seq"),
    )
    household_fk = sa.ForeignKey("households.id")
    op.create_table(
        "transfer_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("from_household_id", sa.Integer(), household_fk, nullable=False),
        sa.Column("to_household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("requested_at", UTC_DT, nullable=False),
        sa.Column("decided_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", UTC_DT, nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=False, server_default=""),
        sa.Column("org_path", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_transfer_requests_status", "transfer_requests", ["status", "org_path"])


def downgrade() -> None:
    op.drop_index("ix_transfer_requests_status", table_name="transfer_requests")
    op.drop_table("transfer_requests")
    op.drop_table("household_changes")
    op.drop_index("ix_members_current_id_number", table_name="members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("left_reason")
        batch.drop_column("left_on")
