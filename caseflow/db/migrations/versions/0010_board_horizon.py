"""board horizon: the board's counters fold each day's due dates into a few rows per aging bucket

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Migration 0009 keyed the counters by the exact due instant, so their rows grew with the open cases
until every (township, state, workflow, due day) was taken, and the board read them all: 16,514
rows at a million cases against 492 at ten thousand. Every boundary of the board but `now` is a
local midnight (caseflow.clock.aging), the same all day long, so for one local day the due instants
between two boundaries need no distinction: `board_horizon` (one row) holds that day's
boundaries, and the triggers key a due instant by the lower end of its interval — before_15
(over_15 minus a microsecond) for anything older than 15 working days, over_15, over_5, today's
instants themselves (`now` moves through them), tomorrow_start, soon_before. The rows of a
(township, state, workflow) are then at most five plus today's instants, whatever the number of
cases. caseflow.read.board_counts.roll_horizon writes the row for a new day and recounts the
counters
under it in one transaction (the sweep does it once a day); a board or queue count for a `now`
the row does not fit counts live, as it did before 0009.

With no row the key is the exact due instant, as in 0009: this upgrade adds no row, so the
counters stay as they are until the first roll.

The expressions are a frozen copy of what caseflow.read.board_counts uses for the recount; the 0009
pieces this migration replaces are rebuilt from that migration's own module on downgrade.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _migration_0009() -> ModuleType:
    path = Path(__file__).with_name("0009_board_counts.py")
    spec = importlib.util.spec_from_file_location("caseflow_migration_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The counters' columns, the township expressions and the "did a counted column change" test
# are 0009's, unchanged.
M0009 = _migration_0009()
_sqlite_township = M0009._sqlite_township
_sqlite_changed = M0009._sqlite_changed
_pg_township = M0009._pg_township
ESCALATED_LEVEL: int = M0009.ESCALATED_LEVEL
WATCHED_COLUMNS: tuple[str, ...] = M0009.WATCHED_COLUMNS
TRIGGERS: tuple[str, ...] = M0009.TRIGGERS
COUNTER_COLUMNS: str = M0009.COUNTER_COLUMNS
KEY: str = M0009.KEY
SQLITE_NO_DUE: str = M0009.SQLITE_NO_DUE
PG_NO_DUE: str = M0009.PG_NO_DUE


def _folded(due: str, h: str = "h") -> str:
    """The key instant of `due` under the horizon row `h` (NULL stays NULL)."""
    return (
        f"CASE WHEN {due} IS NULL THEN NULL "
        f"WHEN {due} < {h}.over_15 THEN {h}.before_15 "
        f"WHEN {due} < {h}.over_5 THEN {h}.over_15 "
        f"WHEN {due} < {h}.today_start THEN {h}.over_5 "
        f"WHEN {due} < {h}.tomorrow_start THEN {due} "
        f"WHEN {due} < {h}.soon_before THEN {h}.tomorrow_start "
        f"ELSE {h}.soon_before END"
    )


def _sqlite_folded(due: str) -> str:
    # No horizon row: the scalar subquery is NULL and the exact instant is the key.
    return f"coalesce((SELECT {_folded(due)} FROM board_horizon AS h), {due})"


def _sqlite_apply(row: str, sign: int) -> str:
    """Add OLD or NEW to its key (sign 1) or take it out (-1), if the case is open (as 0009,
    with the due instant folded once in a subquery)."""
    tp = _sqlite_township(f"{row}.org_path")
    esc = f"({row}.escalation_level >= {ESCALATED_LEVEL})"
    upsert = (
        f"INSERT INTO board_counts {COUNTER_COLUMNS} "
        f"SELECT {tp}, {row}.state, {row}.workflow_key, coalesce(k.due, {SQLITE_NO_DUE}), k.due, "
        f"{sign}, {sign} * {esc} FROM (SELECT {_sqlite_folded(f'{row}.due_at')} AS due) AS k "
        f"WHERE {row}.is_final = 0 ON CONFLICT {KEY} "
        "DO UPDATE SET n = n + excluded.n, n_escalated = n_escalated + excluded.n_escalated;"
    )
    if sign > 0:
        return upsert
    drop = (
        f"DELETE FROM board_counts WHERE n = 0 AND township_path = {tp} "
        f"AND state = {row}.state AND workflow_key = {row}.workflow_key "
        f"AND due_key = coalesce({_sqlite_folded(f'{row}.due_at')}, {SQLITE_NO_DUE});"
    )
    return upsert + "\n  " + drop


def _sqlite_create_triggers() -> None:
    op.execute(
        "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases WHEN NEW.is_final = 0 BEGIN\n  "
        + _sqlite_apply("NEW", 1)
        + "\nEND"
    )
    op.execute(
        f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {', '.join(WATCHED_COLUMNS)} "
        f"ON cases WHEN {_sqlite_changed()} BEGIN\n  "
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


# board_counts_apply (0009) is unchanged: it receives the folded instant.
PG_FUNCTIONS = f"""
CREATE FUNCTION board_counts_due(due timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT {_folded("due")} FROM board_horizon AS h), due)
$$;

CREATE OR REPLACE FUNCTION board_counts_on_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    has_old boolean := TG_OP <> 'INSERT' AND NOT OLD.is_final;
    has_new boolean := TG_OP <> 'DELETE' AND NOT NEW.is_final;
    old_tp text;
    new_tp text;
    old_due timestamptz;
    new_due timestamptz;
    old_esc integer;
    new_esc integer;
BEGIN
    IF has_old THEN
        old_tp := {_pg_township("OLD.org_path")};
        old_due := board_counts_due(OLD.due_at);
        old_esc := (OLD.escalation_level >= {ESCALATED_LEVEL})::integer;
    END IF;
    IF has_new THEN
        new_tp := {_pg_township("NEW.org_path")};
        new_due := board_counts_due(NEW.due_at);
        new_esc := (NEW.escalation_level >= {ESCALATED_LEVEL})::integer;
    END IF;
    IF has_old AND has_new THEN
        IF (old_tp, OLD.state, OLD.workflow_key, COALESCE(old_due, {PG_NO_DUE}))
           = (new_tp, NEW.state, NEW.workflow_key, COALESCE(new_due, {PG_NO_DUE}))
        THEN
            IF old_esc <> new_esc THEN  -- escalated or de-escalated in place: one row
                PERFORM board_counts_apply(
                    new_tp, NEW.state, NEW.workflow_key, new_due, 0, new_esc - old_esc
                );
            END IF;
            RETURN NULL;
        END IF;
        -- Both rows in key order, so opposite moves between two keys cannot deadlock.
        IF (new_tp, NEW.state, NEW.workflow_key, COALESCE(new_due, {PG_NO_DUE}))
           < (old_tp, OLD.state, OLD.workflow_key, COALESCE(old_due, {PG_NO_DUE}))
        THEN
            PERFORM board_counts_apply(new_tp, NEW.state, NEW.workflow_key, new_due, 1, new_esc);
            PERFORM board_counts_apply(old_tp, OLD.state, OLD.workflow_key, old_due, -1, -old_esc);
            RETURN NULL;
        END IF;
    END IF;
    IF has_old THEN
        PERFORM board_counts_apply(old_tp, OLD.state, OLD.workflow_key, old_due, -1, -old_esc);
    END IF;
    IF has_new THEN
        PERFORM board_counts_apply(new_tp, NEW.state, NEW.workflow_key, new_due, 1, new_esc);
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "board_horizon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(
            sa.Column(name, sa.DateTime(timezone=True), nullable=False)
            for name in (
                "before_15",
                "over_15",
                "over_5",
                "today_start",
                "tomorrow_start",
                "soon_before",
            )
        ),
        sa.CheckConstraint("id = 1", name="ck_board_horizon_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_board_horizon"),
    )
    if dialect == "postgresql":
        op.execute(PG_FUNCTIONS)
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        _sqlite_create_triggers()


def downgrade() -> None:
    # Back to exact keys: 0009's trigger bodies, and its fill over emptied counters.
    dialect = op.get_bind().dialect.name
    m0009 = M0009
    if dialect == "postgresql":
        start = m0009.PG_FUNCTIONS.index("CREATE FUNCTION board_counts_on_cases()")
        end = m0009.PG_FUNCTIONS.index("CREATE FUNCTION board_counts_on_truncate()")
        body = m0009.PG_FUNCTIONS[start:end]
        op.execute(body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
        op.execute("DROP FUNCTION board_counts_due(timestamptz)")
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        columns = ", ".join(WATCHED_COLUMNS)
        op.execute(
            "CREATE TRIGGER board_counts_insert AFTER INSERT ON cases WHEN NEW.is_final = 0 "
            "BEGIN\n  " + m0009._sqlite_apply("NEW", 1) + "\nEND"
        )
        op.execute(
            f"CREATE TRIGGER board_counts_update AFTER UPDATE OF {columns} ON cases "
            f"WHEN {m0009._sqlite_changed()} BEGIN\n  "
            + m0009._sqlite_apply("OLD", -1)
            + "\n  "
            + m0009._sqlite_apply("NEW", 1)
            + "\nEND"
        )
        op.execute(
            "CREATE TRIGGER board_counts_delete AFTER DELETE ON cases WHEN OLD.is_final = 0 "
            "BEGIN\n  " + m0009._sqlite_apply("OLD", -1) + "\nEND"
        )
    op.execute("DELETE FROM board_counts")
    op.execute(m0009._fill(dialect))
    op.drop_table("board_horizon")
