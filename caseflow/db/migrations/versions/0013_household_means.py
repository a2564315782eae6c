"""household incomes, assets and deductible expenses with their evidence

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Investigators record a household's means line by line (caseflow.casework.means): each income
and asset line now says how it was checked (核对结果), on what document, for which day, and who
recorded it when; expenses the district's rules may deduct from income (因病、因残、因学的刚性
支出, 必要的就业成本: 民发〔2021〕57号 第十三条 last paragraph) get a table of their own. Lines
stored before this revision keep check_result 'unknown' and no date or recorder (shown as
"未记录"); the existing tables are extended rather than duplicated.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LINE_TABLES = ("member_incomes", "member_assets")


def _evidence_columns(table: str) -> list[sa.Column]:  # type: ignore[type-arg]
    # Batch mode (SQLite rebuilds the table) needs every constraint named.
    recorder = sa.ForeignKey("users.id", name=f"fk_{table}_recorded_by_id")
    return [
        sa.Column("check_result", sa.String(20), nullable=False, server_default="unknown"),
        sa.Column("evidence", sa.String(200), nullable=False, server_default=""),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), recorder, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    for table in LINE_TABLES:
        with op.batch_alter_table(table) as batch:
            for column in _evidence_columns(table):
                batch.add_column(column)
    with op.batch_alter_table("member_incomes") as batch:
        batch.add_column(sa.Column("note", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "member_expenses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        *_evidence_columns("member_expenses"),
    )
    op.create_index("ix_member_expenses_member_id", "member_expenses", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_member_expenses_member_id", table_name="member_expenses")
    op.drop_table("member_expenses")
    with op.batch_alter_table("member_incomes") as batch:
        batch.drop_column("note")
    for table in LINE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_recorded_by_id", type_="foreignkey")
            for column in ("recorded_at", "recorded_by_id", "as_of", "evidence", "check_result"):
                batch.drop_column(column)
