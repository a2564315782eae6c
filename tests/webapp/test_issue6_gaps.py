"""Issue 6 leftovers: claims on the timeline, 退回 notifications, the start page per role, and the
audit-search indexes — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text, update
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.accounts.users import new_user
from caseflow.casework.claims import CLAIM_TRIGGER, RELEASE_TRIGGER, claim, release
from caseflow.clock import deadlines
from caseflow.db.models import Case, CaseEvent, Notification, PersonalDataView, User
from caseflow.engine.fire import fire
from caseflow.inbox import send as notify
from caseflow.inbox.read import inbox_page, unread_count
from caseflow.inbox.sendback import CLAIM_TRIGGERS, RETURN_EFFECT, last_worker
from caseflow.kernel.roles import Role
from caseflow.read.audit_search import CASE_EVENTS, PERSONAL_VIEWS, AuditFilters, search
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


# --- 1. claim / release on the case timeline ------------------------------------------------


def test_claim_and_release_read_in_chinese_on_the_timeline(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case, _ = _case_in(world, "district_review")
    version = case.version
    auth.login("approver")
    assert client.post(f"/queue/{case.id}/claim").status_code == 303
    body = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = body[body.index("办理记录") :]
    assert "认领（开始办理）" in timeline and "approver（区民政审批）" in timeline
    assert re.search(r"<dt>办理环节</dt><dd>区级审核确认</dd>", timeline)
    assert "claim" not in timeline  # no raw trigger names
    assert client.post(f"/queue/{case.id}/release").status_code == 303
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = timeline[timeline.index("办理记录") :]
    # Newest first: the release above the claim.
    assert timeline.index("释放认领（放回待办）") < timeline.index("认领（开始办理）")
    assert "release" not in timeline
    # Claims are recorded events, not state changes: state and version are untouched.
    world.session.rollback()  # a fresh snapshot: the web app wrote through its own connection
    stored = world.session.get(Case, case.id)
    assert stored is not None and stored.state == "district_review" and stored.version == version
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers[-2:] == ["claim", "release"]


# --- 2. 退回 notifications --------------------------------------------------------------------


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
    assert [(i.kind_label, i.case_no) for i in page.items] == [("退回", case.case_no)]

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

    # Fails after the effect has written its inbox row: everything rolls back.
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


def test_returned_case_shows_in_the_inbox_and_header(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case, _ = _case_in(world, "district_review")
    auth.login("approver")
    response = client.post(
        f"/cases/{case.id}/fire/return_to_township",
        data={"expected_version": str(case.version), "p_reason": "材料不全"},
    )
    assert response.status_code == 303
    auth.logout()
    auth.login("reviewer")
    body = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'id="inbox-unread"[^>]*>1<', body)
    assert "退回" in body and case.case_no in body and "材料不全" in body


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


# --- 5. the queue's counts per place (ix_cases_queue_place) ------------------------------------


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


# --- 3. the start page per role ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("clerk", "/desk/"),
        ("approver", "/queue/"),
        ("reviewer", "/queue/"),
        ("leader", "/queue/"),
        ("inv1", "/queue/"),
        ("supervisor", "/board"),
        ("admin", "/admin/users"),
    ],
)
def test_start_page_by_role(client: FlaskClient, auth: AuthActions, user: str, path: str) -> None:
    auth.login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith(path), response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_start_page_signed_out(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/login")


def test_home_endpoint_rules() -> None:
    from web.home import home_endpoint

    assert home_endpoint({"clerk", "township_reviewer"}) == "desk.search"
    assert home_endpoint({"supervisor", "district_approver"}) == "supervise.index"
    assert home_endpoint({"admin", "district_approver"}) == "queue.index"
    assert home_endpoint({"district_finance"}) == "queue.index"
    assert home_endpoint(set()) == "auth.login"


# --- 4. audit-search indexes -----------------------------------------------------------------

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
