"""The work queue (待办): order, filters, jurisdiction, tab counts, claim races, batch sign-off."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from support import T0, World
from walker import Walker

from caseflow.casework.batch import fire_batch
from caseflow.casework.claims import claim, release
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, CaseEvent
from caseflow.engine.fire import open_case
from caseflow.kernel.errors import CaseNotFound, ClaimConflict, PermissionDenied
from caseflow.read.queue import (
    QueueFilters,
    actionable_pairs,
    queue_counts,
    queue_page,
)
from caseflow.workflow.registry import registry

NOW = T0 + timedelta(days=20)
APPROVE = {"aid_class": "A"}  # with no members named: its whole household, its own amount


def _set(session: Session, case_id: int, **values: Any) -> None:
    session.execute(update(Case).where(Case.id == case_id).values(**values))
    session.commit()


def _district_review(world: World, n: int) -> list[Case]:
    walker = Walker(world, T0)
    return [walker.to_state(registry().workflow("dibao"), "district_review") for _ in range(n)]


def _move_to(session: Session, case: Case, unit: Any) -> None:
    """Test shortcut: file a case under another unit (the queue reads only the case row)."""
    _set(session, case.id, org_unit_id=unit.id, org_path=unit.path)


def _ids(page: Any) -> list[int]:
    return [r.id for r in page.rows]


def test_actionable_pairs_come_from_the_definitions() -> None:
    approver = actionable_pairs(["district_approver"])
    assert ("dibao", "district_review") in approver
    # District review, a deviation waiting for the second approver, a 提标 list to approve, a
    # resident's move out of centralised care (出院) to decide, and the district's own supervision
    # cases: a drawn spot check and its follow-up, a complaint, a recovery (repaid by the
    # household or withheld from the rolls: settled or waived by the district either way).
    assert {state for _, state in approver} == {
        "district_review",
        "deviation_review",
        "listed",
        "discharge_review",
        "drawn",
        "follow_up",
        "received",
        "investigating",
        "answering",
        "proposed",
        "repaying",
        "deducting",
    }
    assert {wf for wf, state in approver if state == "investigating"} == {"complaint"}
    reviewer = actionable_pairs(["township_reviewer"])
    assert ("dibao", "township_review") in reviewer
    assert ("dibao", "district_review") not in reviewer
    # extend_deadline (allowed from everywhere) and the system role make no work items.
    assert ("dibao", "investigating") not in actionable_pairs(["township_leader"])
    assert actionable_pairs(["system"]) == []
    assert actionable_pairs(["admin"]) == []
    # Final states never appear.
    assert not [p for p in actionable_pairs(["clerk"]) if p[1] in ("approved", "rejected")]


def test_order_overdue_first_then_priority_groups_then_due_date(world: World) -> None:
    session = world.session
    a, b, c, d, e, f, g = _district_review(world, 7)
    _set(session, a.id, due_at=NOW + timedelta(days=3))
    _set(session, b.id, due_at=NOW - timedelta(days=1))  # overdue
    _set(session, c.id, due_at=None)  # paused: last
    _set(session, d.id, due_at=NOW + timedelta(days=3), flag_illness=True)  # same due, priority
    _set(session, e.id, due_at=NOW - timedelta(days=5))  # most overdue
    # Priority moves a case up, not only among equals: due in 9 days, ahead of one due in 1 day.
    _set(session, f.id, due_at=NOW + timedelta(days=9), flag_sudden=True)
    _set(session, g.id, due_at=NOW + timedelta(days=1))
    page = queue_page(session, world.actor("approver"), NOW)
    assert _ids(page) == [e.id, b.id, d.id, f.id, g.id, a.id, c.id]
    assert page.rows[0].overdue(NOW) and not page.rows[2].overdue(NOW)
    assert page.total == 7 and page.counts.all == 7 and page.counts.overdue == 2


def test_pages_across_the_slices_keep_the_order_rule(world: World) -> None:
    """The page is read as slices (overdue, priority, the rest, paused) each cut after
    offset + limit rows: every page boundary, and a case due exactly now (not overdue), must
    still give the one order the rule defines, computed here independently."""
    session = world.session
    days = [-6, -1, 0, 2, 2, 5, 9, -3, 1, None, None, 4, 0, None]
    flagged = [0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0]
    cases = _district_review(world, len(days))
    for c, day, flag in zip(cases, days, flagged, strict=True):
        due = None if day is None else NOW + timedelta(days=day)
        _set(session, c.id, due_at=due, flag_disability=bool(flag))

    def rank(i: int) -> tuple[int, int, int, int]:
        day, flag, case_id = days[i], flagged[i], cases[i].id
        if day is None:
            return (3, 1 - flag, 0, case_id)
        if day < 0:
            return (0, 0, day, case_id)
        return (2 - flag, 0, day, case_id)

    in_order = sorted(range(len(cases)), key=rank)
    expected = [cases[i].id for i in in_order]
    actor = world.actor("approver")
    for per_page in (1, 3, 4, len(cases)):
        got: list[int] = []
        for page_no in range(1, -(-len(cases) // per_page) + 1):
            got += _ids(queue_page(session, actor, NOW, page=page_no, per_page=per_page))
        assert got == expected, per_page
    # Under a tab filter too: the overdue tab is the first slice alone.
    overdue = [cases[i].id for i in in_order if (days[i] or 0) < 0]
    second = queue_page(session, actor, NOW, QueueFilters(overdue=True), per_page=2, page=2)
    assert _ids(second) == overdue[2:4]


def test_paging(world: World) -> None:
    cases = _district_review(world, 5)
    for i, c in enumerate(cases):
        _set(world.session, c.id, due_at=NOW + timedelta(days=i))
    actor = world.actor("approver")
    first = queue_page(world.session, actor, NOW, page=1, per_page=2)
    second = queue_page(world.session, actor, NOW, page=2, per_page=2)
    last = queue_page(world.session, actor, NOW, page=99, per_page=2)
    assert first.total == 5 and first.pages == 3
    assert _ids(first) + _ids(second) + _ids(last) == [c.id for c in cases]


def test_every_filter(world: World) -> None:
    session = world.session
    walker = Walker(world, T0)
    dibao, tekun = registry().workflow("dibao"), registry().workflow("tekun")
    d1 = walker.to_state(dibao, "township_review")
    d2 = walker.to_state(dibao, "publicizing")
    t1 = walker.to_state(tekun, "township_review")
    d3 = walker.to_state(dibao, "accepted")
    _set(session, d1.id, due_at=NOW - timedelta(days=2), escalation_level=3)
    _set(session, d2.id, due_at=NOW + timedelta(days=2), escalation_level=2)
    _set(session, t1.id, due_at=NOW - timedelta(days=1), escalation_level=4)
    village2 = world.village.__class__(
        code="640502100002", name="二村", level="village", parent_id=world.township.id,
        path=world.township.path + "640502100002/",
    )  # fmt: skip
    session.add(village2)
    session.commit()
    _set(session, d3.id, org_unit_id=village2.id, org_path=village2.path, due_at=NOW + timedelta(5))
    actor = world.actor("reviewer")

    def ids(**kw: Any) -> set[int]:
        return set(_ids(queue_page(session, actor, NOW, QueueFilters(**kw))))

    assert ids() == {d1.id, d2.id, t1.id, d3.id}
    assert ids(case_type="tekun") == {t1.id}
    assert ids(state="township_review") == {d1.id, t1.id}
    assert ids(township="640502100") == {d1.id, d2.id, t1.id, d3.id}
    assert ids(township="640502101") == set()
    assert ids(village="640502100002") == {d3.id}
    assert ids(village="640502100001") == {d1.id, d2.id, t1.id}
    assert ids(village="not-a-code") == set()
    assert ids(overdue=True) == {d1.id, t1.id}
    assert ids(escalated=True) == {d1.id, t1.id}
    assert ids(overdue=True, case_type="dibao") == {d1.id}
    claim(session, d2.id, actor, NOW)
    assert ids(assignee="mine") == {d2.id}
    assert ids(assignee="unclaimed") == {d1.id, t1.id, d3.id}
    counts, total = queue_counts(session, actor, NOW, QueueFilters(case_type="dibao"))
    assert (counts.all, counts.overdue, counts.escalated, counts.mine) == (3, 1, 1, 1)
    assert total == 3
    counts, total = queue_counts(session, actor, NOW, QueueFilters.for_tab("overdue"))
    assert (counts.all, counts.overdue, counts.escalated, counts.mine, total) == (4, 2, 2, 1, 2)


def test_jurisdiction_never_another_townships_case(world: World) -> None:
    session = world.session
    own, foreign = _district_review(world, 2)
    _move_to(session, foreign, world.other_township)
    other_hh = world.household(unit=world.other_township)
    accepted = open_case(session, "dibao", other_hh.id, world.actor("other_clerk"), T0)
    own_accepted = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    # The district approver sees every township's district_review cases, nothing else.
    approver = set(_ids(queue_page(session, world.actor("approver"), NOW)))
    assert approver == {own.id, foreign.id}
    # Township staff see their own township only.
    reviewer = set(_ids(queue_page(session, world.actor("reviewer"), NOW)))
    assert reviewer == {own_accepted.id}
    other = set(_ids(queue_page(session, world.actor("other_reviewer"), NOW)))
    assert other == {accepted.id}
    # A filter cannot widen the jurisdiction.
    widened = queue_page(session, world.actor("reviewer"), NOW, QueueFilters(township="640502101"))
    assert widened.rows == [] and widened.total == 0
    # Nor can a claim reach across: the case "does not exist" for them.
    with pytest.raises(CaseNotFound):
        claim(session, accepted.id, world.actor("reviewer"), NOW)


def test_claim_release_and_audit(world: World) -> None:
    session = world.session
    (case,) = _district_review(world, 1)
    version = case.version
    approver, approver2 = world.actor("approver"), world.actor("approver2")
    claim(session, case.id, approver, NOW)
    claim(session, case.id, approver, NOW)  # again: nothing new
    with pytest.raises(ClaimConflict) as exc:
        claim(session, case.id, approver2, NOW)
    assert "认领" in exc.value.message_zh and "approver" in exc.value.message_zh
    with pytest.raises(ClaimConflict):
        release(session, case.id, approver2, NOW)
    row = queue_page(session, approver2, NOW).rows[0]
    assert row.assignee_id == approver.user_id and row.assignee_name == "approver"
    release(session, case.id, approver, NOW)
    claim(session, case.id, approver2, NOW)
    events = session.execute(
        select(CaseEvent.trigger, CaseEvent.actor_id, CaseEvent.from_state, CaseEvent.to_state)
        .where(CaseEvent.case_id == case.id, CaseEvent.trigger.in_(["claim", "release"]))
        .order_by(CaseEvent.seq)
    ).all()
    assert [e[0] for e in events] == ["claim", "release", "claim"]
    assert all(e[2] == e[3] == "district_review" for e in events)
    session.refresh(case)
    assert case.version == version  # a claim does not make open forms stale
    # Claiming is for those who may act on the case now.
    with pytest.raises(PermissionDenied):
        claim(session, case.id, world.actor("reviewer"), NOW)
    with pytest.raises(PermissionDenied):
        claim(session, case.id, world.actor("finance"), NOW)


def test_a_state_change_ends_the_claim(world: World) -> None:
    session = world.session
    (case,) = _district_review(world, 1)
    approver = world.actor("approver")
    claim(session, case.id, approver, NOW)
    outcomes = fire_batch(session, [case.id], "approve", approver, NOW, {case.id: APPROVE})
    assert outcomes[0].ok, outcomes
    session.refresh(case)
    assert case.assignee_id is None and case.state == "approved"


def test_two_users_claim_at_once_exactly_one_wins(engine: Engine, world: World) -> None:
    factory = make_session_factory(engine)
    actors = {u: world.actor(u) for u in ("approver", "approver2")}
    for case in _district_review(world, 3):
        world.session.rollback()  # no read transaction of ours spans the race
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(
            username: str,
            case_id: int = case.id,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            with factory() as session:
                barrier.wait()
                try:
                    claim(session, case_id, actors[username], NOW)
                    outcomes.append(username)
                except ClaimConflict as exc:
                    assert "认领" in exc.message_zh
                    outcomes.append("conflict")

        threads = [threading.Thread(target=attempt, args=(u,)) for u in ("approver", "approver2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes)[0] in ("approver", "approver2")
        assert outcomes.count("conflict") == 1, outcomes
        world.session.rollback()
        holder = world.session.scalar(select(Case.assignee_id).where(Case.id == case.id))
        winner = next(o for o in outcomes if o != "conflict")
        assert holder == world.users[winner].id
        claims = world.session.scalars(
            select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "claim")
        ).all()
        assert len(claims) == 1


def test_batch_sign_off_with_mixed_outcomes(world: World) -> None:
    session = world.session
    good1, good2, relative, claimed = _district_review(world, 4)
    wrong_state = Walker(world, T0).to_state(registry().workflow("dibao"), "township_review")
    _set(session, relative.id, flag_staff_relative=True)  # needs a district visit first
    claim(session, claimed.id, world.actor("approver2"), NOW)
    foreign = _district_review(world, 1)[0]
    _move_to(session, foreign, world.other_township)
    stale = _district_review(world, 1)[0]
    ids = [good1.id, relative.id, wrong_state.id, claimed.id, stale.id, good2.id, 999_999]
    outcomes = fire_batch(
        session,
        ids,
        "approve",
        world.actor("approver"),
        NOW,
        dict.fromkeys(ids, APPROVE),
        expected_versions={stale.id: stale.version - 1},
    )
    by_id = {o.case_id: o for o in outcomes}
    assert [o.case_id for o in outcomes] == ids
    assert by_id[good1.id].ok and by_id[good2.id].ok
    assert by_id[good1.id].case_no == good1.case_no
    assert "区级入户核查" in by_id[relative.id].message_zh
    assert "区级审核确认" not in by_id[wrong_state.id].message_zh
    assert "乡镇审核" in by_id[wrong_state.id].message_zh
    assert "认领" in by_id[claimed.id].message_zh
    assert "刷新" in by_id[stale.id].message_zh
    assert not by_id[999_999].ok
    assert sum(o.ok for o in outcomes) == 2
    states = dict(session.execute(select(Case.id, Case.state).where(Case.id.in_(ids))).all())
    assert states[good1.id] == states[good2.id] == "approved"
    assert states[relative.id] == states[claimed.id] == states[stale.id] == "district_review"
    assert states[wrong_state.id] == "township_review"
    # A district approver of the whole district may batch another township's case too.
    (foreign_outcome,) = fire_batch(
        session, [foreign.id], "approve", world.actor("approver"), NOW, {foreign.id: APPROVE}
    )
    assert foreign_outcome.ok
    # ...but a township reviewer cannot reach it at all.
    (refused,) = fire_batch(
        session, [foreign.id], "approve", world.actor("reviewer"), NOW, {foreign.id: APPROVE}
    )
    assert not refused.ok and "不存在" in refused.message_zh
