"""institutional care: institutions, beds, admissions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

特困 persons in centralised care (集中供养) live in a 敬老院 or 供养服务机构: `institutions` holds
them (township, licensed beds, care capacity by self-care level, telephone, the account the roll
pays into), `admissions` the facts of each 入院 case, and `bed_occupancies` who lies in which bed.
A bed is never double-booked: a partial unique index over live occupancies (ended_at IS NULL) on
(institution, bed number), and one on the person, refuse a second booking in the database itself
(both SQLite and PostgreSQL support partial unique indexes). A roll row paid to an institution
names it (`roll_rows.institution_id`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)
LIVE = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("org_path", sa.String(length=200), nullable=False),
        sa.Column("licensed_beds", sa.Integer(), nullable=False),
        sa.Column("capacity_self_care", sa.Integer(), nullable=False),
        sa.Column("capacity_partial", sa.Integer(), nullable=False),
        sa.Column("capacity_full", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("account_name", sa.String(length=100), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("bank_account", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("updated_at", UTC_DT, nullable=False),
        sa.UniqueConstraint("org_unit_id", "name", name="uq_institutions_township_name"),
        sa.CheckConstraint("licensed_beds >= 0", name="ck_institutions_beds"),
    )
    op.create_index("ix_institutions_org_path", "institutions", ["org_path"])
    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institutions.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("tekun_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("care_level", sa.String(length=20), nullable=False),
        sa.Column("ground", sa.String(length=20), nullable=False),
    )
    op.create_index("ix_admissions_institution_id", "admissions", ["institution_id"])
    op.create_index("ix_admissions_member_id", "admissions", ["member_id"])
    op.create_table(
        "bed_occupancies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institutions.id"), nullable=False),
        sa.Column("bed_no", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("admission_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("care_level", sa.String(length=20), nullable=False),
        sa.Column("reserved_at", UTC_DT, nullable=False),
        sa.Column("admitted_at", UTC_DT),
        sa.Column("ended_at", UTC_DT),
        sa.Column("end_reason", sa.String(length=20)),
        sa.CheckConstraint("bed_no >= 1", name="ck_bed_occupancies_bed_no"),
    )
    op.create_index(
        "ix_bed_occupancies_admission_case_id", "bed_occupancies", ["admission_case_id"]
    )
    op.create_index(
        "uq_bed_occupancies_live_bed",
        "bed_occupancies",
        ["institution_id", "bed_no"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index(
        "uq_bed_occupancies_live_member",
        "bed_occupancies",
        ["member_id"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    # Added in place, never by a batch copy: SQLite would drop the signed-roll triggers of
    # roll_rows with the old table. The foreign key is declared where ALTER can add one.
    op.add_column("roll_rows", sa.Column("institution_id", sa.Integer()))
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "fk_roll_rows_institution", "roll_rows", "institutions", ["institution_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_roll_rows_institution", "roll_rows", type_="foreignkey")
    op.execute("ALTER TABLE roll_rows DROP COLUMN institution_id")  # in place (see upgrade)
    op.drop_table("bed_occupancies")
    op.drop_table("admissions")
    op.drop_index("ix_institutions_org_path", table_name="institutions")
    op.drop_table("institutions")
