"""The 待办 pages: tabs and counts, filters, jurisdiction, claim / release, batch sign-off."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from payments_support import review_proposing_class_a
from sqlalchemy import Engine, select, update
from support import T0, World
from walker import Walker
from websupport import PASSWORD, AuthActions, make_app

from caseflow.db.models import Case, CaseEvent
from caseflow.workflow.registry import registry


def _set(world: World, case_id: int, **values: Any) -> None:
    world.session.execute(update(Case).where(Case.id == case_id).values(**values))
    world.session.commit()


def _district_review(world: World, n: int) -> list[Case]:
    walker = Walker(world, T0)
    return [walker.to_state(registry().workflow("dibao"), "district_review") for _ in range(n)]


def _rows(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-case-id="(\d+)"', body)]


def test_queue_lists_actionable_cases_most_urgent_first(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    a, b, c = _district_review(world, 3)
    _set(world, a.id, due_at=T0 + timedelta(days=30))
    _set(world, b.id, due_at=T0 - timedelta(days=6), escalation_level=3)  # overdue, 督办
    _set(world, c.id, due_at=T0 + timedelta(days=30), flag_illness=True)
    own_accepted = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    auth.login("approver")
    body = client.get("/queue/").get_data(as_text=True)
    assert _rows(body) == [b.id, c.id, a.id]
    assert own_accepted.case_no not in body  # not the approver's step
    assert re.search(r"已逾期 \d+ 个工作日", body), body[-3000:]
    assert "督办" in body and "因大病" in body
    assert "剩余" in body and "王大明" in body and "区级审核确认" in body
    tabs = dict(re.findall(r'data-tab="(\w+)"[^>]*>[^<]*（<span class="count">(\d+)</span>', body))
    assert tabs == {"all": "3", "overdue": "1", "escalated": "1", "mine": "0"}
    overdue = client.get("/queue/?tab=overdue").get_data(as_text=True)
    assert _rows(overdue) == [b.id]
    assert _rows(client.get("/queue/?case_type=tekun").get_data(as_text=True)) == []
    assert _rows(client.get("/queue/?village=640502100001").get_data(as_text=True)) == [
        b.id,
        c.id,
        a.id,
    ]
    assert _rows(client.get("/queue/?township=640502101").get_data(as_text=True)) == []
    # Junk in the query string is ignored, never an error.
    for junk in ("?page=-3", "?page=abc", "?tab=nope&state=x'--", "?assignee=all&village=%25"):
        assert client.get("/queue/" + junk).status_code == 200, junk


def test_paging(client: FlaskClient, auth: AuthActions, world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr("caseflow_web.queue.PER_PAGE", 2)
    cases = _district_review(world, 3)
    auth.login("approver")
    first = client.get("/queue/").get_data(as_text=True)
    second = client.get("/queue/?page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "下一页" in first
    assert sorted(_rows(first) + _rows(second)) == sorted(c.id for c in cases)


def test_township_staff_never_see_another_township(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    from caseflow.engine.fire import open_case

    other_hh = world.household(unit=world.other_township)
    foreign = open_case(world.session, "dibao", other_hh.id, world.actor("other_clerk"), T0)
    own = Walker(world, T0).to_state(registry().workflow("dibao"), "accepted")
    auth.login("reviewer")
    body = client.get("/queue/").get_data(as_text=True)
    assert _rows(body) == [own.id] and foreign.case_no not in body
    assert _rows(client.get("/queue/?township=640502101").get_data(as_text=True)) == []
    assert client.post(f"/queue/{foreign.id}/claim").status_code == 404


def test_claim_and_release(client: FlaskClient, auth: AuthActions, world: World) -> None:
    (case,) = _district_review(world, 1)
    auth.login("approver")
    response = client.post(f"/queue/{case.id}/claim", data={"back": "/queue/?tab=mine"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/queue/?tab=mine")
    body = client.get("/queue/?tab=mine").get_data(as_text=True)
    assert _rows(body) == [case.id] and "已认领" in body and "释放" in body
    # Never an open redirect.
    evil = client.post(f"/queue/{case.id}/claim", data={"back": "//evil.example/queue/"})
    assert evil.headers["Location"].endswith("/queue/")
    auth.logout()
    auth.login("approver2")
    body = client.get("/queue/").get_data(as_text=True)
    assert "approver" in body and f'/queue/{case.id}/claim"' not in body
    refused = client.post(f"/queue/{case.id}/claim", follow_redirects=True)
    assert "已由「approver」认领" in refused.get_data(as_text=True)
    assert "不是由您认领" in client.post(
        f"/queue/{case.id}/release", follow_redirects=True
    ).get_data(as_text=True)
    auth.logout()
    auth.login("approver")
    client.post(f"/queue/{case.id}/release")
    world.session.rollback()
    assert world.session.scalar(select(Case.assignee_id).where(Case.id == case.id)) is None
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers[-2:] == ["claim", "release"]
    # A role that cannot act on the case's step cannot claim it.
    auth.logout()
    auth.login("finance")
    denied = client.post(f"/queue/{case.id}/claim", follow_redirects=True)
    assert "不能认领" in denied.get_data(as_text=True)


def _plan_form(body: str) -> dict[str, Any]:
    """The batch page's form as the browser would post it (every listed case ticked)."""
    ids = re.findall(r'name="case_id" value="(\d+)"', body)
    data: dict[str, Any] = {"case_id": ids}
    data.update(dict(re.findall(r'name="((?:v|a)_\d+)" value="(\d+)"', body)))
    found = re.search(r'name="op" value="([^"]+)"', body)
    data["op"] = found.group(1) if found else ""
    return data


def test_batch_page_lists_only_applicable_cases_each_with_its_own_values(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    good1, good2, relative = _district_review(world, 3)
    _set(world, relative.id, flag_staff_relative=True)
    wrong = Walker(world, T0).to_state(registry().workflow("dibao"), "township_review")
    auth.login("approver")
    queue = client.get("/queue/").get_data(as_text=True)
    assert 'name="case_id"' not in queue and 'id="batch-link"' in queue  # no checkbox column
    menu = client.get("/queue/batch").get_data(as_text=True)
    options = re.findall(r'<option value="([a-z_]+:[a-z_]+)"', menu)
    assert options == [
        "dibao:approve",
        "tekun:approve",
        "temporary:acknowledge_filing",
        "review:approve_adjustment",
    ]
    body = client.get("/queue/batch?op=dibao:approve").get_data(as_text=True)
    assert _rows(body) == sorted([good1.id, good2.id]) or set(_rows(body)) == {good1.id, good2.id}
    assert relative.id not in _rows(body) and wrong.id not in _rows(body)
    assert "另有 1 件当前不能办理" in body and "区级入户核查" in body
    assert "covered_persons" not in body and "aid_class" not in body
    assert body.count('class="num covered-count">2<') == 2  # each household's own two members
    response = client.post("/queue/batch", data=_plan_form(body))
    result = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '已办理 <strong class="ok">2</strong> 件' in result
    world.session.rollback()
    states = dict(
        world.session.execute(
            select(Case.id, Case.state).where(Case.id.in_([good1.id, good2.id, relative.id]))
        ).all()
    )
    assert states[good1.id] == states[good2.id] == "approved"
    assert states[relative.id] == "district_review"


def test_batch_refuses_bad_input_before_touching_cases(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    (case,) = _district_review(world, 1)
    auth.login("approver")
    cases = {"case_id": [str(case.id)]}
    changed = {"op": "dibao:approve", **cases, f"a_{case.id}": "1"}  # not the computed amount
    for data, message in (
        ({"op": "dibao:approve"}, "请先勾选"),
        ({"op": "nope", **cases}, "请选择要批量办理的操作"),
        ({"op": "roll:sign", **cases}, "请选择要批量办理的操作"),
        ({"op": "dibao:start_investigation", **cases}, "请选择要批量办理的操作"),  # not theirs
        (changed, "核定金额已变化"),
    ):
        response = client.post("/queue/batch", data=data, follow_redirects=True)
        assert message in response.get_data(as_text=True), data
    world.session.rollback()
    assert world.session.scalar(select(Case.state).where(Case.id == case.id)) == "district_review"


def test_claim_and_batch_with_csrf_tokens(world: World, engine: Engine, tmp_path: Path) -> None:
    (case,) = _district_review(world, 1)
    from websupport import HASH

    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    app = make_app(engine, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()

    def token(url: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(True))
        assert found
        return found.group(1)

    login = {"username": "approver", "password": PASSWORD, "csrf_token": token("/login")}
    assert client.post("/login", data=login).status_code == 302
    assert client.post(f"/queue/{case.id}/claim").status_code == 400  # no token
    response = client.post(f"/queue/{case.id}/claim", data={"csrf_token": token("/queue/")})
    assert response.status_code == 303
    data = _plan_form(client.get("/queue/batch?op=dibao:approve").get_data(as_text=True))
    assert client.post("/queue/batch", data=data).status_code == 400
    data["csrf_token"] = token("/queue/batch?op=dibao:approve")
    body = client.post("/queue/batch", data=data).get_data(as_text=True)
    assert 'class="done"' in body
    app.extensions["caseflow_engine"].dispose()


def test_batch_page_shows_each_reviews_adjusted_amount_beside_the_one_in_force(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    reviews = [review_proposing_class_a(world, walker, size)[1] for size in (3, 4)]
    auth.login("approver")
    body = client.get("/queue/batch?op=review:approve_adjustment").get_data(as_text=True)
    assert set(_rows(body)) == {r.id for r in reviews}
    assert "现月金额" in body and "调整后月金额" in body and "A 类" in body
    assert (
        body.count('class="num covered-count">3<')
        == body.count('class="num covered-count">4<')
        == 1
    )
    before = re.findall(r'class="num previous">([\d,.]+)<', body)
    after = re.findall(r'class="num amount">([\d,.]+)', body)
    assert len(before) == len(after) == 2 and before != after
    result = client.post("/queue/batch", data=_plan_form(body)).get_data(as_text=True)
    assert '已办理 <strong class="ok">2</strong> 件' in result
    world.session.rollback()
    states = world.session.scalars(select(Case.state).where(Case.id.in_([r.id for r in reviews])))
    assert set(states) == {"adjusted"}
