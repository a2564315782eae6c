"""periodic review (复核) schedules

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- review_schedules: per household and programme (低保 / 特困) the class, the terms in force, the
  interval from the rule set, the last review and the next review date.
- ix_review_schedules_due: active plans by due date (the sweep, the 复核计划 list).
- uq_cases_one_open_review: at most one open review case per household, so two sweeps racing to
  open the same review cannot both succeed (the loser's insert fails and it skips).
No backfill: `caseflow reviews sync` builds schedules from approved cases.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_schedules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("programme", sa.String(10), nullable=False),
        sa.Column("review_class", sa.String(10), nullable=False),
        sa.Column("covered_persons", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("ruleset_key", sa.String(40), nullable=False),
        sa.Column("approved_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("last_reviewed_on", sa.Date(), nullable=True),
        sa.Column("last_review_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("org_path", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "uq_review_schedules_household_programme",
        "review_schedules",
        ["household_id", "programme"],
        unique=True,
    )
    op.create_index(
        "ix_review_schedules_due",
        "review_schedules",
        ["next_review_on", "org_path"],
        sqlite_where=sa.text("active = 1"),
        postgresql_where=sa.text("active"),
    )
    op.create_index(
        "uq_cases_one_open_review",
        "cases",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("case_type = 'review' AND is_final = 0"),
        postgresql_where=sa.text("case_type = 'review' AND NOT is_final"),
    )


def downgrade() -> None:
    op.drop_index("uq_cases_one_open_review", table_name="cases")
    op.drop_index("ix_review_schedules_due", table_name="review_schedules")
    op.drop_index("uq_review_schedules_household_programme", table_name="review_schedules")
    op.drop_table("review_schedules")
