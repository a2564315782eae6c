"""indexes for audit search, the inbox, and the queue's counts per place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

caseflow.read.audit_search lists each audit table newest first ((at, id) DESC), narrowed by user,
action, case, household and a time range; every filter gets a composite index that ends in `at`,
so a filtered page is read in order from the index and stops after LIMIT rows:

- case_events: (at, id) for the unfiltered list and time ranges; (actor_id, at) by user;
  (trigger, at) by action. By case: uq_case_events_case_seq. By household: ix_cases_household_id
  leads from the household to its cases, then the (case_id, seq) constraint to their events.
- admin_events: (at, id); (actor_id, at); (action, at).
- personal_data_views: (user_id, at), (household_id, at), (case_id, at) — case_id had none —
  and (field, at). The single-column user_id / household_id indexes of 0001 stay: the models
  declare them (index=True) and a foreign key on PostgreSQL wants its own index anyway.
- notifications: (user_id, created_at) for the inbox page, newest first.

And for the work queue's counts per tab (caseflow.read.queue): ix_cases_queue_place, open cases by
(org_path, state, workflow, due date, escalation, assignee, is_final). A township user's counts
read their township's open cases as one org-path range, every tested column inside the index
(is_final too, or SQLite would not treat it as covering), instead of every open case of the
district in the actionable states through ix_cases_queue_state.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_case_events_at", "case_events", ["at", "id"]),
    ("ix_case_events_actor_at", "case_events", ["actor_id", "at"]),
    ("ix_case_events_trigger_at", "case_events", ["trigger", "at"]),
    ("ix_admin_events_at", "admin_events", ["at", "id"]),
    ("ix_admin_events_actor_at", "admin_events", ["actor_id", "at"]),
    ("ix_admin_events_action_at", "admin_events", ["action", "at"]),
    ("ix_personal_data_views_user_at", "personal_data_views", ["user_id", "at"]),
    ("ix_personal_data_views_household_at", "personal_data_views", ["household_id", "at"]),
    ("ix_personal_data_views_case_at", "personal_data_views", ["case_id", "at"]),
    ("ix_personal_data_views_field_at", "personal_data_views", ["field", "at"]),
    ("ix_notifications_user_created", "notifications", ["user_id", "created_at"]),
]
QUEUE_PLACE_COLUMNS = [
    "org_path",
    "state",
    "workflow_key",
    "due_at",
    "escalation_level",
    "assignee_id",
    "is_final",
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_index(
        "ix_cases_queue_place",
        "cases",
        QUEUE_PLACE_COLUMNS,
        unique=False,
        sqlite_where=sa.text("is_final = 0"),
        postgresql_where=sa.text("NOT is_final"),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_queue_place", table_name="cases")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
