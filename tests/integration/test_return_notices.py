"""退回 notifications: every return transition tells the colleague who last worked the step
(or the step's owners), once, after the commit — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from support import T0, World
from walker import Walker

from caseflow.accounts.users import new_user
from caseflow.casework.claims import CLAIM_TRIGGER, RELEASE_TRIGGER, claim, release
from caseflow.clock import deadlines
from caseflow.db.models import Case, CaseEvent, Notification, User
from caseflow.engine import fire as engine_fire
from caseflow.engine.fire import fire
from caseflow.inbox import send as notify
from caseflow.inbox.read import inbox_page, unread_count
from caseflow.inbox.sendback import CLAIM_TRIGGERS, RETURN_EFFECT, last_worker
from caseflow.kernel.roles import Role
from caseflow.workflow.registry import registry


def _case_in(world: World, state: str, workflow: str = "dibao") -> tuple[Case, Walker]:
    walker = Walker(world, T0)
    return walker.to_state(registry().workflow(workflow), state), walker


def _returned(world: World, user: str) -> list[Notification]:
    world.session.rollback()
    return list(
        world.session.scalars(
            select(Notification).where(
                Notification.user_id == world.users[user].id, Notification.kind == "returned"
            )
        )
    )


def _last_actor_in(world: World, case: Case, state: str) -> int:
    actor_id = world.session.scalar(
        select(CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id, CaseEvent.from_state == state)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    )
    assert actor_id is not None
    return actor_id


def test_every_return_transition_notifies() -> None:
    # The casework workflows; the payment roll's own return (roll.yaml) is its owners' choice.
    returns = [
        (wf.key, t.trigger)
        for wf in registry().workflows.values()
        if wf.key in ("dibao", "tekun", "review", "temporary", "removal", "referral")
        for t in wf.transitions
        if t.trigger.startswith("return_")
    ]
    assert len(returns) == 5
    for wf_key, trigger in returns:
        wf = registry().workflow(wf_key)
        t = next(t for t in wf.transitions if t.trigger == trigger)
        assert RETURN_EFFECT in t.effects, (wf_key, trigger)
    assert CLAIM_TRIGGERS == (CLAIM_TRIGGER, RELEASE_TRIGGER)


def test_district_return_tells_the_township_reviewer(world: World, monkeypatch: Any) -> None:
    sent: list[notify.Message] = []

    class Recorder:
        def send(self, message: notify.Message) -> None:
            sent.append(message)

    monkeypatch.setattr(notify, "SENDERS", [Recorder()])
    case, walker = _case_in(world, "district_review")
    worker = _last_actor_in(world, case, "township_review")
    assert worker == world.users["reviewer"].id
    fire(
        world.session,
        case.id,
        "return_to_township",
        world.actor("approver"),
        walker.tick(),
        {"reason": "收入核对不完整"},
    )
    [note] = _returned(world, "reviewer")
    assert note.case_id == case.id and note.read_at is None
    assert note.title == f"案件被退回：{case.case_no}（乡镇审核）"
    assert "approver（区民政审批）以「退回乡镇」" in note.body
    assert "从「区级审核确认」退回「乡镇审核」" in note.body
    assert note.body.endswith("退回理由：收入核对不完整")
    for other in ("approver", "leader", "inv1", "clerk", "other_reviewer"):
        assert _returned(world, other) == [], other
    # Sent outside once, after the commit.
    assert [(m.user_id, m.title) for m in sent] == [(worker, note.title)]
    assert unread_count(world.session, worker) == 1
    page = inbox_page(world.session, worker)
    assert [(i.kind_label, i.case_no) for i in page.rows] == [("退回", case.case_no)]

    # Back from the township to the investigators: the one who submitted the investigation.
    investigator = _last_actor_in(world, case, "investigating")
    fire(
        world.session,
        case.id,
        "return_for_investigation",
        world.actor("reviewer"),
        walker.tick(),
        {"reason": "补充入户照片"},
    )
    world.session.expire_all()
    notes = world.session.scalars(
        select(Notification).where(
            Notification.kind == "returned", Notification.user_id == investigator
        )
    ).all()
    assert len(notes) == 1 and "退回「入户调查核对」" in notes[0].body
    assert len(_returned(world, "reviewer")) == 1  # the returner is not told of their own return


def test_without_a_previous_worker_the_step_owners_are_told(world: World) -> None:
    case, walker = _case_in(world, "district_review")
    reviewer = world.users["reviewer"]
    world.session.execute(update(User).where(User.id == reviewer.id).values(active=False))
    colleague = new_user("reviewer2", "reviewer2", world.township, [Role.TOWNSHIP_REVIEWER], T0)
    world.session.add(colleague)
    world.session.commit()
    fire(
        world.session,
        case.id,
        "return_to_township",
        world.actor("approver"),
        walker.tick(),
        {"reason": "请复核"},
    )
    world.users["reviewer2"] = colleague
    assert [n.case_id for n in _returned(world, "reviewer2")] == [case.id]
    assert _returned(world, "reviewer") == []  # inactive
    assert _returned(world, "other_reviewer") == []  # another township


def test_a_failed_return_leaves_no_notification(world: World, monkeypatch: Any) -> None:
    sent: list[notify.Message] = []

    class Recorder:
        def send(self, message: notify.Message) -> None:
            sent.append(message)

    monkeypatch.setattr(notify, "SENDERS", [Recorder()])
    case, walker = _case_in(world, "district_review")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # Fails after the effect has written its inbox row (the clock refresh that follows a
    # clock-moving effect): everything rolls back.
    monkeypatch.setattr(engine_fire, "CLOCK_EFFECTS", {"notify_returned"})
    monkeypatch.setattr(deadlines, "refresh_case_clock", broken)
    with pytest.raises(RuntimeError):
        fire(
            world.session,
            case.id,
            "return_to_township",
            world.actor("approver"),
            walker.tick(),
            {"reason": "x"},
        )
    monkeypatch.undo()
    assert _returned(world, "reviewer") == [] and sent == []
    world.session.commit()  # a later, unrelated commit must not send the dropped message
    assert sent == []
    world.session.expire_all()
    stored = world.session.get(Case, case.id)
    assert stored is not None and stored.state == "district_review"


def test_a_claim_alone_does_not_make_the_last_worker(world: World) -> None:
    case, walker = _case_in(world, "district_review")
    fire(
        world.session,
        case.id,
        "return_to_township",
        world.actor("approver"),
        walker.tick(),
        {"reason": "一"},
    )
    claim(world.session, case.id, world.actor("leader"), walker.tick())
    release(world.session, case.id, world.actor("leader"), walker.tick())
    claim(world.session, case.id, world.actor("leader"), walker.tick())
    reviewer = world.users["reviewer"].id
    assert last_worker(world.session, case.id, "township_review", None) == reviewer
    assert last_worker(world.session, case.id, "township_review", reviewer) is None
