"""member disability type: 特困 judges "no labour capacity" by the type of disability, not its grade

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

民发〔2021〕43号 第五条（三） counts intellectual and mental disabilities of grades 1–3, physical
grades 1–2 and visual grade 1 as 无劳动能力; the grade alone cannot tell them apart. The column
holds the 残疾人证's type as a code (intellectual, mental, physical, visual, hearing, speech,
multiple). Existing members keep NULL (not recorded): their disability is shown as "类别未登记" and
does not count for 特困 until the type is entered; the 低保 top-up for grades 1–2 is unchanged.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("disability_type", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("disability_type")
