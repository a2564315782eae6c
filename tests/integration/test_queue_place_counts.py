"""The queue's counts per township and village (index ix_cases_queue_place) equal a plain count
over the open cases — on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update
from support import T0, World
from walker import Walker

from caseflow.db.models import Case
from caseflow.workflow.registry import registry


def _case_in(world: World, state: str, workflow: str = "dibao") -> tuple[Case, Walker]:
    walker = Walker(world, T0)
    return walker.to_state(registry().workflow(workflow), state), walker


def test_counts_per_place_match_a_plain_count(world: World) -> None:
    from datetime import timedelta

    from caseflow.accounts.orgs import add_unit
    from caseflow.read.queue import QueueFilters, actionable_pairs, queue_counts, queue_page

    second = add_unit(world.session, "640502100002", "二村", "village", world.township)
    world.session.commit()
    cases = [_case_in(world, s)[0] for s in ("district_review", "township_review", "accepted")]
    moved, _ = _case_in(world, "township_review")
    world.session.execute(
        update(Case)
        .where(Case.id == moved.id)
        .values(org_unit_id=second.id, org_path=second.path, due_at=T0 - timedelta(days=3))
    )
    world.session.commit()
    cases.append(moved)
    now = T0 + timedelta(days=1)
    seen: dict[tuple[str, str], int] = {}
    for user in ("reviewer", "leader", "approver", "other_reviewer"):
        actor = world.actor(user)
        pairs = set(actionable_pairs(actor.roles))
        for f in (
            QueueFilters(),
            QueueFilters(township="640502100"),
            QueueFilters(village="640502100001"),
            QueueFilters(village="640502100002"),
            QueueFilters(township="640502101"),
        ):
            place = f.village or f.township
            world.session.rollback()
            expected = {
                c.id
                for c in world.session.scalars(select(Case).where(Case.is_final.is_(False)))
                if c.org_path.startswith(actor.org_path)
                and (c.workflow_key, c.state) in pairs
                and (not place or f"/{place}/" in c.org_path)
            }
            counts, total = queue_counts(world.session, actor, now, f)
            page = queue_page(world.session, actor, now, f, per_page=200)
            assert total == counts.all == len(expected), (user, f)
            assert {r.id for r in page.rows} == expected, (user, f)
            overdue = {r.id for r in page.rows if r.due_at is not None and r.due_at < now}
            assert counts.overdue == len(overdue), (user, f)
            seen[(user, place)] = len(expected)
    # Not vacuous: the township's reviewer has work in both villages, the district its own.
    assert seen[("reviewer", "640502100001")] >= 1 and seen[("reviewer", "640502100002")] == 1
    assert seen[("approver", "")] >= 1 and seen[("other_reviewer", "")] == 0
