"""board counters: open cases per (township, state, due instant, escalated), kept by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

The supervisors' board summed every open case on each view; it now sums `board_counts`, whose
rows count the open cases (is_final false) per township path (the first two segments of org_path;
the district's own cases stay '/640502/'), state, exact due_at (NULL when paused) and
escalated (escalation_level >= 3, deadlines.LEVEL_DISTRICT). Rows reaching 0 are deleted, so
the table holds only keys with open cases.

Triggers on `cases` keep them exact for every writer — AFTER INSERT, AFTER UPDATE OF the five
columns the key depends on, AFTER DELETE, and on PostgreSQL AFTER TRUNCATE — each applying -1 to
the old key and +1 to the new one, and nothing when the key did not change (the WHEN clauses
let most updates, e.g. a version bump or an escalation from level 3 to 4, skip the trigger).

PostgreSQL: one plpgsql function applies a delta with INSERT … ON CONFLICT DO UPDATE (atomic
under concurrent writers) and deletes the row if it reached 0. When a case moves between two
keys the two rows are changed in key order, whichever way the case moves, so two transactions
moving cases in opposite directions wait for each other instead of deadlocking.

The unique key is over COALESCE(due_at, …): a NULL due_at must be one key, and unique indexes
treat NULLs as distinct. The expressions here are a frozen copy of caseflow.board_counts (this
migration must not change when the application code does); the upgrade fills the table from
the existing cases with the same recount as `caseflow board rebuild-counts`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ESCALATED_LEVEL = 3  # caseflow.deadlines.LEVEL_DISTRICT
KEY_COLUMNS = ("is_final", "org_path", "state", "due_at", "escalation_level")
UPDATE_COLUMNS = ", ".join(KEY_COLUMNS)
TRIGGERS = ("board_counts_insert", "board_counts_update", "board_counts_delete")


def _sqlite_township(column: str) -> str:
    rest = f"substr({column}, 2)"
    first = f"instr({rest}, '/')"
    after = f"substr({rest}, {first} + 1)"
    second = f"instr({after}, '/')"
    return (
        f"(CASE WHEN {first} = 0 OR {second} = 0 THEN {column} "
        f"ELSE substr({column}, 1, 1 + {first} + {second}) END)"
    )


def _pg_township(column: str) -> str:
    return f"COALESCE(substring({column} from '^/[^/]+/(?:[^/]+/)?'), {column})"


def _fill(dialect: str) -> str:
    township = _pg_township if dialect == "postgresql" else _sqlite_township
    open_cases = "NOT is_final" if dialect == "postgresql" else "is_final = 0"
    return (
        "INSERT INTO board_counts (township_path, state, due_at, escalated, n) "
        f"SELECT {township('org_path')}, state, due_at, escalation_level >= {ESCALATED_LEVEL}, "
        f"count(*) FROM cases WHERE {open_cases} GROUP BY 1, 2, 3, 4"
    )


# --- SQLite ---------------------------------------------------------------------------------------

SQLITE_CONFLICT = "(township_path, state, escalated, coalesce(due_at, ''))"


def _sqlite_key_changed() -> str:
    # The raw org_path, not its township: cheaper on every update, and a move between two
    # villages of one township only applies -1 and +1 to the same row.
    changed = [f"OLD.{c} IS NOT NEW.{c}" for c in KEY_COLUMNS if c != "escalation_level"]
    changed.append(
        f"(OLD.escalation_level >= {ESCALATED_LEVEL}) IS NOT "
        f"(NEW.escalation_level >= {ESCALATED_LEVEL})"
    )
    return f"(OLD.is_final = 0 OR NEW.is_final = 0) AND ({' OR '.join(changed)})"


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_board_counts_key ON board_counts "
        "(township_path, state, escalated, coalesce(due_at, ''))"
    )
    # The board reads every counter row in (township, state) order: covering, so SQLite neither
    # visits the table nor sorts (13,000 rows at a million cases: 5 ms instead of 11).
    # PostgreSQL's sequential scan with a hash aggregate is as fast without it.
    op.create_index(
        "ix_board_counts_board",
        "board_counts",
        ["township_path", "state", "due_at", "escalated", "n"],
        unique=False,
    )
    op.execute(
        "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases WHEN NEW.is_final = 0 BEGIN\n  "
        + _sqlite_guarded("NEW", 1)
        + "\nEND"
    )
    # SQLite has no IF: each statement of the body checks is_final itself (final cases count
    # nowhere), so one body serves a case being opened, moved, finalised or reopened.
    op.execute(
        f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {UPDATE_COLUMNS} ON cases "
        f"WHEN {_sqlite_key_changed()} BEGIN\n  "
        + _sqlite_guarded("OLD", -1)
        + "\n  "
        + _sqlite_guarded("NEW", 1)
        + "\nEND"
    )
    op.execute(
        "CREATE TRIGGER board_counts_delete AFTER DELETE ON cases WHEN OLD.is_final = 0 BEGIN\n  "
        + _sqlite_guarded("OLD", -1)
        + "\nEND"
    )


def _sqlite_guarded(row: str, delta: int) -> str:
    """_sqlite_apply for a row that may be final: an INSERT … SELECT … WHERE it is open."""
    tp = _sqlite_township(f"{row}.org_path")
    esc = f"({row}.escalation_level >= {ESCALATED_LEVEL})"
    # `WHERE` is required before ON CONFLICT after a SELECT (SQLite's parsing ambiguity rule).
    upsert = (
        "INSERT INTO board_counts (township_path, state, due_at, escalated, n) "
        f"SELECT {tp}, {row}.state, {row}.due_at, {esc}, {delta} WHERE {row}.is_final = 0 "
        f"ON CONFLICT {SQLITE_CONFLICT} DO UPDATE SET n = n + excluded.n;"
    )
    if delta > 0:
        return upsert
    drop = (
        f"DELETE FROM board_counts WHERE n = 0 AND township_path = {tp} "
        f"AND state = {row}.state AND escalated = {esc} "
        f"AND coalesce(due_at, '') = coalesce({row}.due_at, '');"
    )
    return upsert + "\n  " + drop


# --- PostgreSQL -----------------------------------------------------------------------------------

PG_APPLY = f"""
CREATE FUNCTION board_counts_apply(
    k_township text, k_state text, k_due timestamptz, k_escalated boolean, delta integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    row_id bigint;
    left_n integer;
BEGIN
    -- One statement, atomic against concurrent writers of the same key; the row lock it takes
    -- is held to commit, so the transaction should be short (fire() is).
    INSERT INTO board_counts AS c (township_path, state, due_at, escalated, n)
    VALUES (k_township, k_state, k_due, k_escalated, delta)
    ON CONFLICT (township_path, state, escalated, (COALESCE(due_at, 'infinity'::timestamptz)))
    DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.id, c.n INTO row_id, left_n;
    IF left_n = 0 THEN
        DELETE FROM board_counts WHERE id = row_id AND n = 0;
    END IF;
END $$;

CREATE FUNCTION board_counts_on_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    has_old boolean := TG_OP <> 'INSERT' AND NOT OLD.is_final;
    has_new boolean := TG_OP <> 'DELETE' AND NOT NEW.is_final;
    old_tp text;
    new_tp text;
    old_esc boolean;
    new_esc boolean;
BEGIN
    IF has_old THEN
        old_tp := {_pg_township("OLD.org_path")};
        old_esc := OLD.escalation_level >= {ESCALATED_LEVEL};
    END IF;
    IF has_new THEN
        new_tp := {_pg_township("NEW.org_path")};
        new_esc := NEW.escalation_level >= {ESCALATED_LEVEL};
    END IF;
    IF has_old AND has_new THEN
        IF (old_tp, OLD.state, old_esc, COALESCE(OLD.due_at, 'infinity'::timestamptz))
           = (new_tp, NEW.state, new_esc, COALESCE(NEW.due_at, 'infinity'::timestamptz)) THEN
            RETURN NULL;  -- same key (another column changed, or escalation 3 -> 4)
        END IF;
        -- Both rows in key order, so opposite moves between two keys cannot deadlock.
        IF (new_tp, NEW.state, new_esc, COALESCE(NEW.due_at, 'infinity'::timestamptz))
           < (old_tp, OLD.state, old_esc, COALESCE(OLD.due_at, 'infinity'::timestamptz)) THEN
            PERFORM board_counts_apply(new_tp, NEW.state, NEW.due_at, new_esc, 1);
            PERFORM board_counts_apply(old_tp, OLD.state, OLD.due_at, old_esc, -1);
            RETURN NULL;
        END IF;
    END IF;
    IF has_old THEN
        PERFORM board_counts_apply(old_tp, OLD.state, OLD.due_at, old_esc, -1);
    END IF;
    IF has_new THEN
        PERFORM board_counts_apply(new_tp, NEW.state, NEW.due_at, new_esc, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION board_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM board_counts;
    RETURN NULL;
END $$;
"""

PG_KEY_CHANGED = (
    "(NOT OLD.is_final OR NOT NEW.is_final) AND ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in KEY_COLUMNS)
    + ")"
)


def _pg_upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_board_counts_key ON board_counts "
        "(township_path, state, escalated, (COALESCE(due_at, 'infinity'::timestamptz)))"
    )
    op.execute(PG_APPLY)
    op.execute(
        "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases FOR EACH ROW "
        "WHEN (NOT NEW.is_final) EXECUTE FUNCTION board_counts_on_cases()"
    )
    op.execute(
        f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {UPDATE_COLUMNS} ON cases "
        f"FOR EACH ROW WHEN ({PG_KEY_CHANGED}) EXECUTE FUNCTION board_counts_on_cases()"
    )
    op.execute(
        "CREATE TRIGGER board_counts_delete AFTER DELETE ON cases FOR EACH ROW "
        "WHEN (NOT OLD.is_final) EXECUTE FUNCTION board_counts_on_cases()"
    )
    op.execute(
        "CREATE TRIGGER board_counts_truncate AFTER TRUNCATE ON cases "
        "FOR EACH STATEMENT EXECUTE FUNCTION board_counts_on_truncate()"
    )


def upgrade() -> None:
    op.create_table(
        "board_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("township_path", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()
    op.execute(_fill(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER board_counts_truncate ON cases")
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON cases")
        op.execute("DROP FUNCTION board_counts_on_truncate()")
        op.execute("DROP FUNCTION board_counts_on_cases()")
        op.execute("DROP FUNCTION board_counts_apply(text, text, timestamptz, boolean, integer)")
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("board_counts")
