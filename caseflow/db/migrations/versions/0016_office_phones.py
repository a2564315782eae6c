"""the township office's telephone on notices

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Every notice handed to an applicant (受理通知书, 一次性告知书, 决定书) must say where to ask; the
number belongs to the issuing office, so it is kept on its org unit. `org_units.phone` is
nullable: offices whose number the admin has not entered yet print "电话未登记" rather than
nothing, and the admin page lists them first. Validated as a landline or mobile number
(caseflow.kernel.contact) when entered.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("org_units", sa.Column("phone", sa.String(length=30), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop and recreate org_units, which
    # every table with a unit refers to, and SQLite's foreign keys refuse that.
    op.drop_column("org_units", "phone")
