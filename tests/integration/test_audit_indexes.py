"""The audit search's indexes exist and its queries use them (the plan, not just the answer) —
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, select, text
from support import T0, World
from walker import Walker

from caseflow.db.models import Case, CaseEvent, PersonalDataView
from caseflow.read.audit_search import CASE_EVENTS, PERSONAL_VIEWS, AuditFilters, search
from caseflow.workflow.registry import registry


def _case_in(world: World, state: str, workflow: str = "dibao") -> tuple[Case, Walker]:
    walker = Walker(world, T0)
    return walker.to_state(registry().workflow(workflow), state), walker


AUDIT_INDEXES = {
    "case_events": {"ix_case_events_at", "ix_case_events_actor_at", "ix_case_events_trigger_at"},
    "admin_events": {"ix_admin_events_at", "ix_admin_events_actor_at", "ix_admin_events_action_at"},
    "personal_data_views": {
        "ix_personal_data_views_user_at",
        "ix_personal_data_views_household_at",
        "ix_personal_data_views_case_at",
        "ix_personal_data_views_field_at",
    },
    "notifications": {"ix_notifications_user_created"},
}


def test_audit_indexes_exist(engine: Engine) -> None:
    insp = inspect(engine)
    for table, wanted in AUDIT_INDEXES.items():
        have = {ix["name"] for ix in insp.get_indexes(table)}
        assert wanted <= have, (table, wanted - have)


def _plan(engine: Engine, stmt: Any) -> str:
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # tiny tables: ask what it could use
            rows = conn.execute(text(f"EXPLAIN {compiled}")).all()
            return "\n".join(r[0] for r in rows)
        rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(r[-1]) for r in rows)


def test_audit_queries_use_the_indexes(engine: Engine, world: World) -> None:
    from caseflow.read.audit_search import _case_events_select, _views_select

    district = world.actor("supervisor")
    by_user = _case_events_select(district, AuditFilters(user="approver")).limit(50)
    by_action = _case_events_select(district, AuditFilters(action="approve")).limit(50)
    views = _views_select(district, AuditFilters(action="id_number")).limit(50)
    if engine.dialect.name == "postgresql":
        # On a nearly empty database PostgreSQL's join order is arbitrary: ask about the
        # driving table's part of each search (filter + newest first) instead. The user and the
        # action searched for have no events: as selective as any one user or action among a
        # district's millions of events. (A user with a third of a test database's few hundred
        # events made reading the `at` index with a filter look as cheap, depending on when
        # autovacuum last analysed the table.)
        newest = (CaseEvent.at.desc(), CaseEvent.id.desc())
        nobody = -1
        by_user = (
            select(CaseEvent.id).where(CaseEvent.actor_id == nobody).order_by(*newest).limit(50)
        )
        by_action = (
            select(CaseEvent.id)
            .where(CaseEvent.trigger == "no_such_action")
            .order_by(*newest)
            .limit(50)
        )
        views = (
            select(PersonalDataView.id)
            .where(PersonalDataView.field == "id_number")
            .order_by(PersonalDataView.at.desc())
            .limit(50)
        )
    assert "ix_case_events_actor_at" in _plan(engine, by_user)
    assert "ix_case_events_trigger_at" in _plan(engine, by_action)
    assert "ix_personal_data_views_field_at" in _plan(engine, views)
    # The search itself still answers (the indexes change plans, not results).
    case, _ = _case_in(world, "accepted")
    page = search(world.session, district, CASE_EVENTS, AuditFilters(case_no=case.case_no))
    assert [r.trigger for r in page.rows] == ["open"]
    assert search(world.session, district, PERSONAL_VIEWS, AuditFilters()).total == 0
