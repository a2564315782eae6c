"""monthly payment rolls, roll rows, risk findings, bank exports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A roll is a case about a township, not a household: cases.household_id becomes nullable.
A signed roll, its rows and its findings are frozen by triggers, not only by the code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)


def _household_id_nullable(nullable: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column("cases", "household_id", existing_type=sa.Integer(), nullable=nullable)
        return
    # SQLite cannot alter a column, and rebuilding "cases" inside the migration's transaction
    # would trip the foreign keys of every table pointing at it (they cannot be switched off
    # inside a transaction). Dropping or adding a NOT NULL does not touch the stored rows, so
    # SQLite's documented procedure for that applies: edit the table's schema text in place
    # (https://www.sqlite.org/lang_altertable.html, "removing ... NOT NULL constraints").
    strict, loose = "household_id INTEGER NOT NULL", "household_id INTEGER,"
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cases'")
    ).scalar_one()
    old, new = (strict + ",", loose) if nullable else (loose, strict + ",")
    if sql.count(old) != 1:
        raise RuntimeError(f"unexpected cases schema, cannot change household_id: {sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'cases'"),
        {"sql": sql.replace(old, new)},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _household_id_nullable(True)
    op.create_table(
        "payment_rolls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("township_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("org_path", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("prepared_at", UTC_DT, nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("signed_at", UTC_DT),
        sa.Column("signed_by_id", sa.Integer(), sa.ForeignKey("users.id")),
    )
    op.create_index("ix_payment_rolls_org_path", "payment_rolls", ["org_path"])
    op.create_index("ix_payment_rolls_township_month", "payment_rolls", ["township_id", "month"])
    op.create_table(
        "payment_adjustments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("township_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id")),
        sa.Column("for_month", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", UTC_DT, nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id")),
    )
    op.create_index("ix_payment_adjustments_township_id", "payment_adjustments", ["township_id"])
    op.create_table(
        "roll_rows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roll_id", sa.Integer(), sa.ForeignKey("payment_rolls.id"), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id")),
        sa.Column("case_type", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("for_month", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payee_name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("bank_account", sa.String(40), nullable=False),
        sa.Column("pay_by_bank", sa.Boolean(), nullable=False),
        sa.Column("adjustment_id", sa.Integer(), sa.ForeignKey("payment_adjustments.id")),
        sa.Column("note", sa.String(300), nullable=False),
        sa.Column("removed_at", UTC_DT),
        sa.Column("removed_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("removed_reason", sa.String(300), nullable=False),
    )
    op.create_index("ix_roll_rows_household_id", "roll_rows", ["household_id"])
    op.create_index("ix_roll_rows_case_id", "roll_rows", ["case_id"])
    op.create_index("ix_roll_rows_roll_household", "roll_rows", ["roll_id", "household_id"])
    op.create_table(
        "risk_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roll_id", sa.Integer(), sa.ForeignKey("payment_rolls.id"), nullable=False),
        sa.Column("row_id", sa.Integer(), sa.ForeignKey("roll_rows.id")),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id")),
        sa.Column("check", sa.String(30), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("acknowledged_at", UTC_DT),
        sa.Column("acknowledged_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("acknowledgement", sa.String(500), nullable=False),
    )
    op.create_index("ix_risk_findings_roll_id", "risk_findings", ["roll_id"])
    op.create_table(
        "payment_amount_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("effective_month", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("approved_at", UTC_DT, nullable=False),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.UniqueConstraint("case_id", "effective_month", "source", name="uq_amount_change"),
    )
    op.create_index("ix_payment_amount_changes_case_id", "payment_amount_changes", ["case_id"])
    for statement in _pg_triggers() if _is_pg() else _sqlite_triggers():
        op.execute(statement)


def _is_pg() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


# A signed roll is frozen: the roll itself, its rows and its findings (rows and findings are
# looked up through their roll). Only the sign-off itself may set signed_at once.
_SIGNED_ROLL = "(SELECT signed_at FROM payment_rolls WHERE id = {ref}.roll_id) IS NOT NULL"


def _sqlite_triggers() -> list[str]:
    raise_ = "BEGIN SELECT RAISE(ABORT, 'signed payment roll is immutable'); END"
    out = [
        f"CREATE TRIGGER payment_rolls_signed_no_update BEFORE UPDATE ON payment_rolls "
        f"WHEN OLD.signed_at IS NOT NULL {raise_}",
        f"CREATE TRIGGER payment_rolls_signed_no_delete BEFORE DELETE ON payment_rolls "
        f"WHEN OLD.signed_at IS NOT NULL {raise_}",
    ]
    for table in ("roll_rows", "risk_findings"):
        out += [
            f"CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table} "
            f"WHEN {_SIGNED_ROLL.format(ref='NEW')} {raise_}",
            f"CREATE TRIGGER {table}_signed_no_update BEFORE UPDATE ON {table} "
            f"WHEN {_SIGNED_ROLL.format(ref='OLD')} {raise_}",
            f"CREATE TRIGGER {table}_signed_no_delete BEFORE DELETE ON {table} "
            f"WHEN {_SIGNED_ROLL.format(ref='OLD')} {raise_}",
        ]
    return out


def _pg_triggers() -> list[str]:
    out = [
        "CREATE FUNCTION payment_roll_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF OLD.signed_at IS NOT NULL THEN "
        "RAISE EXCEPTION 'signed payment roll is immutable'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER payment_rolls_frozen BEFORE UPDATE OR DELETE ON payment_rolls "
        "FOR EACH ROW EXECUTE FUNCTION payment_roll_frozen()",
        "CREATE FUNCTION payment_roll_part_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE rid integer; BEGIN "
        "IF TG_OP = 'INSERT' THEN rid := NEW.roll_id; ELSE rid := OLD.roll_id; END IF; "
        "IF (SELECT signed_at FROM payment_rolls WHERE id = rid) IS NOT NULL THEN "
        "RAISE EXCEPTION 'signed payment roll is immutable'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
    ]
    for table in ("roll_rows", "risk_findings"):
        out.append(
            f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION payment_roll_part_frozen()"
        )
    return out


def downgrade() -> None:
    if _is_pg():
        for table in ("roll_rows", "risk_findings"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute("DROP TRIGGER IF EXISTS payment_rolls_frozen ON payment_rolls")
        op.execute("DROP FUNCTION IF EXISTS payment_roll_part_frozen()")
        op.execute("DROP FUNCTION IF EXISTS payment_roll_frozen()")
    for table in (
        "payment_amount_changes",
        "risk_findings",
        "roll_rows",
        "payment_adjustments",
        "payment_rolls",
    ):
        op.drop_table(table)  # SQLite drops a table's triggers with it
    cases = sa.table("cases", sa.column("household_id"))
    if op.get_bind().scalar(sa.select(sa.func.count()).where(cases.c.household_id.is_(None))):
        raise RuntimeError("cases without a household (payment rolls) exist: cannot downgrade")
    _household_id_nullable(False)
