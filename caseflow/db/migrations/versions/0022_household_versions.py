"""supervision: spot-check draws and samples, complaints, recoveries

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

The slot reserved for household versions, which turned out unneeded, carries the district's
supervision instead. `spot_check_draws` records each drawing of samples (seed, rate typed or
None for the rule sets' rates, per-township populations and sample) so it can be redone;
`spot_checks` links each sampled case to the spot-check case opened for it, with why it was
sampled, the finding and the follow-up case; `complaints` holds a complaint's facts (channel,
complainant, content, the household and the case it is about) beside its complaint case.
`recoveries` holds a 追回 case's overpaid months and amount (computed from the entitlement
history), the amount decided and the cause; `recovery_payments` each repayment recorded (the
balance is the decided amount less their sum).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "spot_check_draws",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("org_path", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("rate_bp", sa.Integer()),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("drawn_at", UTC_DT, nullable=False),
    )
    op.create_index("ix_spot_check_draws_org_path", "spot_check_draws", ["org_path"])
    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draw_id", sa.Integer(), sa.ForeignKey("spot_check_draws.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("subject_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("township_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("finding", sa.String(length=20)),
        sa.Column("follow_up_case_id", sa.Integer(), sa.ForeignKey("cases.id")),
    )
    op.create_index("ix_spot_checks_draw_id", "spot_checks", ["draw_id"])
    op.create_index("ix_spot_checks_subject_case_id", "spot_checks", ["subject_case_id"])
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("subject_case_id", sa.Integer(), sa.ForeignKey("cases.id")),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("complainant", sa.String(length=50), nullable=False),
        sa.Column("contact", sa.String(length=50), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_DT, nullable=False),
    )
    op.create_index("ix_complaints_household_id", "complaints", ["household_id"])
    op.create_index("ix_complaints_subject_case_id", "complaints", ["subject_case_id"])
    op.create_table(
        "recoveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("source_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("from_month", sa.String(length=7), nullable=False),
        sa.Column("to_month", sa.String(length=7), nullable=False),
        sa.Column("due_monthly_fen", sa.Integer(), nullable=False),
        sa.Column("overpaid_fen", sa.Integer(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("decided_fen", sa.Integer()),
    )
    op.create_index("ix_recoveries_source_case_id", "recoveries", ["source_case_id"])
    op.create_table(
        "recovery_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recovery_id", sa.Integer(), sa.ForeignKey("recoveries.id"), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("recorded_at", UTC_DT, nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_recovery_payments_positive"),
    )
    op.create_index("ix_recovery_payments_recovery_id", "recovery_payments", ["recovery_id"])


def downgrade() -> None:
    op.drop_table("recovery_payments")
    op.drop_table("recoveries")
    op.drop_table("complaints")
    op.drop_table("spot_checks")
    op.drop_table("spot_check_draws")
