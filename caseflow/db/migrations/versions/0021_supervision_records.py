"""district routine: training sessions and attendance, screening rounds

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

The district plan asks for screening twice a year (排查摸底) and for training of the staff
(业务培训); neither left a record. `screening_rounds` holds one row per township, year and half
(the unique key: a round is recorded once); `training_sessions` a session (date, topic,
trainer, the unit that held it) and `training_attendance` who attended (once per session).
`org_path` is copied from the unit so jurisdiction stays a prefix test on the table itself.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_rounds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("township_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("org_path", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("half", sa.Integer(), nullable=False),
        sa.Column("held_from", sa.Date(), nullable=False),
        sa.Column("held_to", sa.Date(), nullable=False),
        sa.Column("households_screened", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("township_id", "year", "half", name="uq_screening_round"),
        sa.CheckConstraint("half IN (1, 2)", name="ck_screening_round_half"),
    )
    op.create_index("ix_screening_rounds_path_year", "screening_rounds", ["org_path", "year"])
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("org_path", sa.String(200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("trainer", sa.String(100), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_training_sessions_held_on", "training_sessions", ["held_on"])
    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("training_sessions.id"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("session_id", "user_id", name="uq_training_attendance"),
    )
    op.create_index("ix_training_attendance_user", "training_attendance", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_training_attendance_user", table_name="training_attendance")
    op.drop_table("training_attendance")
    op.drop_index("ix_training_sessions_held_on", table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_index("ix_screening_rounds_path_year", table_name="screening_rounds")
    op.drop_table("screening_rounds")
