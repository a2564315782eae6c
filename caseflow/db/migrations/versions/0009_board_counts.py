"""board counters: open cases per (township, state, workflow, due instant), kept by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

The supervisors' board summed every open case on each view; it now sums `board_counts`, whose rows
count the open cases (is_final false) per township path (the first two segments of org_path; the
district's own cases stay '/640502/'), state, workflow_key and exact due_at (NULL when paused): `n`
of them, `n_escalated` of which have escalation_level >= 3 (deadlines.LEVEL_DISTRICT). Rows
reaching n = 0 are deleted, so the table holds only keys with open cases. Escalation is a count,
not part of the key: an overdue day does not split into two rows, and the sweep escalating a case
changes one row instead of moving the case between two. The workflow is part of the key because the
work queue's tab counts (caseflow.read.queue) are sums over actionable (workflow, state) pairs, and
a
state name such as 'accepted' is actionable in one workflow and not in another.

Triggers on `cases` keep them exact for every writer — AFTER INSERT, AFTER UPDATE OF the six
columns the counters depend on, AFTER DELETE, and on PostgreSQL AFTER TRUNCATE — each taking the
old row out of its key and adding the new one; the WHEN clauses let most updates (a version bump,
an escalation from level 3 to 4) skip the trigger.

PostgreSQL: one plpgsql function applies a delta with INSERT … ON CONFLICT DO UPDATE (atomic
under concurrent writers) and deletes the row if it reached 0. When a case moves between two
keys the two rows are changed in key order, whichever way the case moves, so two transactions
moving cases in opposite directions wait for each other instead of deadlocking.

The primary key is (township_path, state, workflow_key, due_key), due_key being due_at with NULL
spelled as a value ('infinity' on PostgreSQL, '' on SQLite): a NULL due_at must be one key, and
unique indexes treat NULLs as distinct. On SQLite the table is WITHOUT ROWID, clustered on that
key: a trigger's upsert touches one b-tree, and the board reads the rows in (township, state) order
from the table itself, with no secondary index to maintain.

ix_cases_assignee_open serves the queue's "mine" count (assignee_id = ? over open cases), the one
tab count the counters do not hold: it grows with the cases one user claimed, not with the table.
It holds claimed open cases only — most open cases are unclaimed, and with them in the index
SQLite's statistics (one assignee value, NULL, on nearly every entry) made a full scan of another
index look as cheap as the seek.

The expressions here are a frozen copy of caseflow.read.board_counts (this migration must not change
when the application code does); the upgrade fills the table from the existing cases with the
same recount as `caseflow board rebuild-counts`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ESCALATED_LEVEL = 3  # caseflow.clock.deadlines.LEVEL_DISTRICT
WATCHED_COLUMNS = ("is_final", "org_path", "state", "workflow_key", "due_at", "escalation_level")
TRIGGERS = ("board_counts_insert", "board_counts_update", "board_counts_delete")
COUNTER_COLUMNS = "(township_path, state, workflow_key, due_key, due_at, n, n_escalated)"
KEY = "(township_path, state, workflow_key, due_key)"
SQLITE_NO_DUE = "''"
PG_NO_DUE = "'infinity'::timestamptz"


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
    no_due = PG_NO_DUE if dialect == "postgresql" else SQLITE_NO_DUE
    return (
        f"INSERT INTO board_counts {COUNTER_COLUMNS} "
        f"SELECT {township('org_path')}, state, workflow_key, COALESCE(due_at, {no_due}), due_at, "
        f"count(*), sum(CASE WHEN escalation_level >= {ESCALATED_LEVEL} THEN 1 ELSE 0 END) "
        f"FROM cases WHERE {open_cases} GROUP BY 1, 2, 3, 5"
    )


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_apply(row: str, sign: int) -> str:
    """Add OLD or NEW (`row`) to its key (sign 1) or take it out (-1), if the case is open.

    SQLite has no IF: the statements check is_final themselves, so one body serves a case being
    opened, moved, finalised or reopened. `WHERE` before ON CONFLICT after a SELECT is required
    by SQLite's parsing-ambiguity rule anyway.
    """
    tp = _sqlite_township(f"{row}.org_path")
    esc = f"({row}.escalation_level >= {ESCALATED_LEVEL})"
    upsert = (
        f"INSERT INTO board_counts {COUNTER_COLUMNS} "
        f"SELECT {tp}, {row}.state, {row}.workflow_key, coalesce({row}.due_at, {SQLITE_NO_DUE}), "
        f"{row}.due_at, {sign}, {sign} * {esc} WHERE {row}.is_final = 0 ON CONFLICT {KEY} "
        "DO UPDATE SET n = n + excluded.n, n_escalated = n_escalated + excluded.n_escalated;"
    )
    if sign > 0:
        return upsert
    drop = (
        f"DELETE FROM board_counts WHERE n = 0 AND township_path = {tp} "
        f"AND state = {row}.state AND workflow_key = {row}.workflow_key "
        f"AND due_key = coalesce({row}.due_at, {SQLITE_NO_DUE});"
    )
    return upsert + "\n  " + drop


def _sqlite_changed() -> str:
    # The raw org_path, not its township: cheaper on every update; a move between two villages
    # of one township takes the case out of a row and puts it back.
    changed = [f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED_COLUMNS if c != "escalation_level"]
    changed.append(
        f"(OLD.escalation_level >= {ESCALATED_LEVEL}) IS NOT "
        f"(NEW.escalation_level >= {ESCALATED_LEVEL})"
    )
    return f"(OLD.is_final = 0 OR NEW.is_final = 0) AND ({' OR '.join(changed)})"


def _sqlite_upgrade() -> None:
    # Clustered on the key: the upsert's lookup and the board's (township, state)-ordered read
    # both use the table's own b-tree (a rowid table needed a unique index plus a covering one,
    # about twice the trigger's cost per moved case). due_key is text like due_at, '' for NULL.
    op.execute(
        "CREATE TABLE board_counts (township_path VARCHAR(200) NOT NULL, "
        "state VARCHAR(40) NOT NULL, workflow_key VARCHAR(40) NOT NULL, due_key TEXT NOT NULL, "
        "due_at DATETIME, "
        f"n INTEGER NOT NULL, n_escalated INTEGER NOT NULL, PRIMARY KEY {KEY}) WITHOUT ROWID"
    )
    op.execute(
        "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases WHEN NEW.is_final = 0 BEGIN\n  "
        + _sqlite_apply("NEW", 1)
        + "\nEND"
    )
    columns = ", ".join(WATCHED_COLUMNS)
    op.execute(
        f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {columns} ON cases "
        f"WHEN {_sqlite_changed()} BEGIN\n  "
        + _sqlite_apply("OLD", -1)
        + "\n  "
        + _sqlite_apply("NEW", 1)
        + "\nEND"
    )
    op.execute(
        "CREATE TRIGGER board_counts_delete AFTER DELETE ON cases WHEN OLD.is_final = 0 BEGIN\n  "
        + _sqlite_apply("OLD", -1)
        + "\nEND"
    )


# --- PostgreSQL -----------------------------------------------------------------------------------

PG_FUNCTIONS = f"""
CREATE FUNCTION board_counts_apply(
    k_township text, k_state text, k_workflow text, k_due timestamptz, dn integer, de integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k_due_key timestamptz := COALESCE(k_due, {PG_NO_DUE});
    left_n integer;
BEGIN
    -- One statement, atomic against concurrent writers of the same key; the row lock it takes
    -- is held to commit, so the transaction should be short (fire() is).
    INSERT INTO board_counts AS c {COUNTER_COLUMNS}
    VALUES (k_township, k_state, k_workflow, k_due_key, k_due, dn, de)
    ON CONFLICT {KEY}
    DO UPDATE SET n = c.n + EXCLUDED.n, n_escalated = c.n_escalated + EXCLUDED.n_escalated
    RETURNING c.n INTO left_n;
    IF left_n = 0 THEN
        DELETE FROM board_counts
        WHERE township_path = k_township AND state = k_state AND workflow_key = k_workflow
          AND due_key = k_due_key AND n = 0;
    END IF;
END $$;

CREATE FUNCTION board_counts_on_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    has_old boolean := TG_OP <> 'INSERT' AND NOT OLD.is_final;
    has_new boolean := TG_OP <> 'DELETE' AND NOT NEW.is_final;
    old_tp text;
    new_tp text;
    old_esc integer;
    new_esc integer;
BEGIN
    IF has_old THEN
        old_tp := {_pg_township("OLD.org_path")};
        old_esc := (OLD.escalation_level >= {ESCALATED_LEVEL})::integer;
    END IF;
    IF has_new THEN
        new_tp := {_pg_township("NEW.org_path")};
        new_esc := (NEW.escalation_level >= {ESCALATED_LEVEL})::integer;
    END IF;
    IF has_old AND has_new THEN
        IF (old_tp, OLD.state, OLD.workflow_key, COALESCE(OLD.due_at, 'infinity'::timestamptz))
           = (new_tp, NEW.state, NEW.workflow_key, COALESCE(NEW.due_at, 'infinity'::timestamptz))
        THEN
            IF old_esc <> new_esc THEN  -- escalated or de-escalated in place: one row
                PERFORM board_counts_apply(
                    new_tp, NEW.state, NEW.workflow_key, NEW.due_at, 0, new_esc - old_esc
                );
            END IF;
            RETURN NULL;
        END IF;
        -- Both rows in key order, so opposite moves between two keys cannot deadlock.
        IF (new_tp, NEW.state, NEW.workflow_key, COALESCE(NEW.due_at, 'infinity'::timestamptz))
           < (old_tp, OLD.state, OLD.workflow_key, COALESCE(OLD.due_at, 'infinity'::timestamptz))
        THEN
            PERFORM board_counts_apply(new_tp, NEW.state, NEW.workflow_key, NEW.due_at, 1, new_esc);
            PERFORM board_counts_apply(
                old_tp, OLD.state, OLD.workflow_key, OLD.due_at, -1, -old_esc
            );
            RETURN NULL;
        END IF;
    END IF;
    IF has_old THEN
        PERFORM board_counts_apply(old_tp, OLD.state, OLD.workflow_key, OLD.due_at, -1, -old_esc);
    END IF;
    IF has_new THEN
        PERFORM board_counts_apply(new_tp, NEW.state, NEW.workflow_key, NEW.due_at, 1, new_esc);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION board_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM board_counts;
    RETURN NULL;
END $$;
"""

PG_CHANGED = (
    "(NOT OLD.is_final OR NOT NEW.is_final) AND ("
    + " OR ".join(
        f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED_COLUMNS if c != "escalation_level"
    )
    + f" OR (OLD.escalation_level >= {ESCALATED_LEVEL})"
    + f" <> (NEW.escalation_level >= {ESCALATED_LEVEL}))"
)


def _pg_upgrade() -> None:
    op.create_table(
        "board_counts",
        sa.Column("township_path", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("workflow_key", sa.String(length=40), nullable=False),
        sa.Column("due_key", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("n_escalated", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "township_path", "state", "workflow_key", "due_key", name="pk_board_counts"
        ),
    )
    op.execute(PG_FUNCTIONS)
    op.execute(
        "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases FOR EACH ROW "
        "WHEN (NOT NEW.is_final) EXECUTE FUNCTION board_counts_on_cases()"
    )
    op.execute(
        f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {', '.join(WATCHED_COLUMNS)} "
        f"ON cases FOR EACH ROW WHEN ({PG_CHANGED}) EXECUTE FUNCTION board_counts_on_cases()"
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
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()
    op.execute(_fill(dialect))
    # Covering for the "mine" count: the pair test, jurisdiction and tab tests read the index.
    # `assignee_id = ?` implies the predicate, so both databases may use it for that query.
    op.create_index(
        "ix_cases_assignee_open",
        "cases",
        [
            "assignee_id",
            "state",
            "workflow_key",
            "org_path",
            "due_at",
            "escalation_level",
            "is_final",  # SQLite counts a partial index as covering only with it, as in 0008
        ],
        unique=False,
        sqlite_where=sa.text("is_final = 0 AND assignee_id IS NOT NULL"),
        postgresql_where=sa.text("NOT is_final AND assignee_id IS NOT NULL"),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_cases_assignee_open", table_name="cases")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER board_counts_truncate ON cases")
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON cases")
        op.execute("DROP FUNCTION board_counts_on_truncate()")
        op.execute("DROP FUNCTION board_counts_on_cases()")
        op.execute(
            "DROP FUNCTION board_counts_apply(text, text, text, timestamptz, integer, integer)"
        )
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("board_counts")
