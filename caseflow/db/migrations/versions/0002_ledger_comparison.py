"""ledger comparison: roster imports, roster rows, comparison runs and results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_roster_imports_kind"), "roster_imports", ["kind"], unique=False)
    op.create_table(
        "comparison_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_import_id", sa.Integer(), nullable=False),
        sa.Column("roster_import_ids", sa.JSON(), nullable=False),
        sa.Column("include_system_cases", sa.Boolean(), nullable=False),
        sa.Column("policy_effective_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["registry_import_id"],
            ["roster_imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "roster_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("household_key", sa.String(length=160), nullable=False),
        sa.Column("head_name", sa.String(length=100), nullable=False),
        sa.Column("township", sa.String(length=100), nullable=False),
        sa.Column("township_code", sa.String(length=20), nullable=True),
        sa.Column("village", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("health", sa.String(length=40), nullable=False),
        sa.Column("labour_capacity", sa.String(length=40), nullable=False),
        sa.Column("attribute", sa.String(length=20), nullable=False),
        sa.Column("main_cause", sa.String(length=40), nullable=False),
        sa.Column("income_fen", sa.BigInteger(), nullable=True),
        sa.Column("aid_class", sa.String(length=10), nullable=False),
        sa.Column("household_size", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["roster_imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_roster_rows_id_number"), "roster_rows", ["id_number"], unique=False)
    op.create_index(
        "ix_roster_rows_import_household",
        "roster_rows",
        ["import_id", "household_key"],
        unique=False,
    )
    op.create_table(
        "comparison_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("household_key", sa.String(length=160), nullable=False),
        sa.Column("category", sa.String(length=2), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("head_name", sa.String(length=100), nullable=False),
        sa.Column("township_code", sa.String(length=20), nullable=True),
        sa.Column("village", sa.String(length=100), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("action_reason", sa.Text(), nullable=False),
        sa.Column("action_by_id", sa.Integer(), nullable=True),
        sa.Column("action_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action_case_id", sa.Integer(), nullable=True),
        sa.Column("carried_from_result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["action_case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["carried_from_result_id"],
            ["comparison_results.id"],
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["comparison_runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "household_key", name="uq_comparison_results_run_household"),
    )
    op.create_index(
        op.f("ix_comparison_results_household_key"),
        "comparison_results",
        ["household_key"],
        unique=False,
    )
    op.create_index(
        "ix_comparison_results_run_place",
        "comparison_results",
        ["run_id", "township_code", "category"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_comparison_results_run_place", table_name="comparison_results")
    op.drop_index(op.f("ix_comparison_results_household_key"), table_name="comparison_results")
    op.drop_table("comparison_results")
    op.drop_index("ix_roster_rows_import_household", table_name="roster_rows")
    op.drop_index(op.f("ix_roster_rows_id_number"), table_name="roster_rows")
    op.drop_table("roster_rows")
    op.drop_table("comparison_runs")
    op.drop_index(op.f("ix_roster_imports_kind"), table_name="roster_imports")
    op.drop_table("roster_imports")
