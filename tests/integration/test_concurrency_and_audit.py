"""Two writers on one case at once; tampering with the audit trail is caught."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from support import T0, World
from walker import Walker

from caseflow.cli.main import main
from caseflow.db.engine import make_session_factory
from caseflow.db.models import CaseEvent
from caseflow.engine.audit import verify_chains
from caseflow.engine.fire import fire
from caseflow.kernel.errors import ConcurrencyConflict
from caseflow.workflow.registry import registry


@pytest.mark.parametrize("rounds", [3])
def test_two_writers_fire_the_same_transition_exactly_one_wins(
    engine: Engine, world: World, rounds: int
) -> None:
    factory = make_session_factory(engine)
    for _ in range(rounds):
        case = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
        version = case.version
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(
            username: str,
            barrier: threading.Barrier = barrier,
            case_id: int = case.id,
            version: int = version,
            outcomes: list[str] = outcomes,
        ) -> None:
            with factory() as session:
                barrier.wait()
                try:
                    fire(
                        session,
                        case_id,
                        "start_investigation",
                        world.actor(username),
                        T0 + timedelta(hours=2),
                        expected_version=version,
                    )
                    outcomes.append("ok")
                except ConcurrencyConflict as exc:
                    assert "刷新" in exc.message_zh
                    outcomes.append("conflict")

        threads = [threading.Thread(target=attempt, args=(u,)) for u in ("clerk", "reviewer")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "ok"]
        world.session.rollback()  # end the old read snapshot
        events = world.session.scalar(
            select(func.count()).where(
                CaseEvent.case_id == case.id, CaseEvent.trigger == "start_investigation"
            )
        )
        assert events == 1


def test_edited_event_row_is_caught_by_audit_verify(engine: Engine, world: World) -> None:
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "township_review")
    other = walker.to_state(registry().workflow("referral"), "answered")
    assert list(verify_chains(world.session)) == []
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify"], env={"CASEFLOW_DATABASE_URL": url})
    assert ok.exit_code == 0, ok.output
    with engine.begin() as conn:
        # The table refuses updates; a tamperer with database rights would disable that first.
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER case_events_no_update"))
        conn.execute(
            text(
                "UPDATE case_events SET actor_role = 'district_approver' "
                "WHERE case_id = :c AND seq = 2"
            ),
            {"c": case.id},
        )
    world.session.rollback()
    breaks = list(verify_chains(world.session))
    assert [(b.case_id, b.seq) for b in breaks] == [(case.id, 2)]
    assert other.id not in {b.case_id for b in breaks}
    bad = runner.invoke(main, ["audit", "verify"], env={"CASEFLOW_DATABASE_URL": url})
    assert bad.exit_code == 1
    assert case.case_no in bad.output
    if engine.dialect.name == "postgresql":  # the server outlives this test
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE case_events ENABLE TRIGGER case_events_no_change"))


def test_event_rows_cannot_be_updated_or_deleted(engine: Engine, world: World) -> None:
    Walker(world, T0).to_state(registry().workflow("referral"), "awaiting_answer")
    for statement in ("UPDATE case_events SET trigger = 'x'", "DELETE FROM case_events"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_admin_log_is_chained_and_tamper_evident(engine: Engine, world: World) -> None:
    from caseflow.engine.audit import append_admin_event, verify_admin_chain

    for i in range(3):
        append_admin_event(
            world.session,
            actor_id=world.users["admin"].id,
            action="policy.enter",
            subject=f"640502@202{i}",
            payload={"n": i},
            at=T0,
        )
    world.session.commit()
    assert verify_admin_chain(world.session) is None
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE admin_events DISABLE TRIGGER admin_events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER admin_events_no_update"))
        conn.execute(text("UPDATE admin_events SET subject = 'x' WHERE id = 2"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE admin_events ENABLE TRIGGER admin_events_no_change"))
    world.session.rollback()
    assert verify_admin_chain(world.session) == 2
