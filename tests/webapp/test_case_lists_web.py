"""The lists staff work from: the queue lists every case it counts, /cases counts 待我处理 as the
queue does and finds any case by its number, open or closed, and the village filter is grouped by
township."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.accounts.orgs import add_unit
from caseflow.engine.fire import fire
from caseflow.payments.roll import prepare_roll
from caseflow.workflow.registry import registry


def _rows(body: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-case-id="(\d+)"', body)]


def _tab_all(body: str) -> int:
    found = re.search(r'data-tab="all"[^>]*>[^<]*（<span class="count">(\d+)</span>', body)
    assert found, body[:2000]
    return int(found.group(1))


def _section(body: str, section_id: str) -> str:
    start = body.index(f'id="{section_id}"')
    return body[start : body.index("</section>", start)]


def test_leader_and_finance_queues_list_the_payment_roll_they_count(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    roll = prepare_roll(world.session, world.actor("reviewer"), "640502100", "2026-04", T0)
    auth.login("leader")
    body = client.get("/queue/").get_data(as_text=True)
    assert _tab_all(body) == len(_rows(body)) == 1
    assert _rows(body) == [roll.case_id]
    assert "没有符合条件的待办案件" not in body
    auth.logout()
    fire(world.session, roll.case_id, "check", world.actor("leader"), T0)
    auth.login("finance")
    body = client.get("/queue/").get_data(as_text=True)
    assert _tab_all(body) == len(_rows(body)) == 1 and _rows(body) == [roll.case_id]


def test_cases_page_counts_my_work_exactly_as_the_queue_does(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    dibao = registry().workflow("dibao")
    for state in ("accepted", "investigating", "township_review", "district_review"):
        walker.to_state(dibao, state)
    prepare_roll(world.session, world.actor("reviewer"), "640502100", "2026-04", T0)
    for user in ("clerk", "inv1", "reviewer", "leader", "approver", "supervisor"):
        auth.login(user)
        queue = client.get("/queue/").get_data(as_text=True)
        cases = client.get("/cases/").get_data(as_text=True)
        mine = re.search(r"待我处理（(\d+)）", cases)
        assert mine is not None, user
        assert int(mine.group(1)) == _tab_all(queue), user
        assert set(_rows(_section(cases, "mine"))) == set(_rows(queue)), user
        auth.logout()


def test_cases_page_finds_a_case_by_number_open_or_closed(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    dibao = registry().workflow("dibao")
    open_one = walker.to_state(dibao, "investigating")
    closed = walker.to_state(dibao, "withdrawn")
    auth.login("clerk")
    listed = _rows(_section(client.get("/cases/").get_data(as_text=True), "cases-list"))
    assert open_one.id in listed and closed.id not in listed  # open cases by default
    closed_list = client.get("/cases/?status=closed").get_data(as_text=True)
    assert _rows(_section(closed_list, "cases-list")) == [closed.id]
    assert "已撤回" in closed_list
    serial = closed.case_no.rsplit("-", 1)[1]
    for q in (closed.case_no, closed.case_no.lower(), serial):
        found = client.get(f"/cases/?q={q}&status=all").get_data(as_text=True)
        assert _rows(_section(found, "cases-list")) == [closed.id], q
    assert (
        _rows(_section(client.get(f"/cases/?q={serial}").get_data(as_text=True), "cases-list"))
        == []
    )
    by_name = client.get("/cases/?q=王大明&status=all").get_data(as_text=True)
    assert set(_rows(_section(by_name, "cases-list"))) >= {open_one.id, closed.id}
    for junk in ("?status=nope", "?q=%25&status=all", "?page=abc", "?q=" + "9" * 60):
        assert client.get("/cases/" + junk).status_code == 200, junk
    auth.logout()
    auth.login("other_clerk")  # another township's clerk finds nothing of 滨河镇
    other = client.get(f"/cases/?q={closed.case_no}&status=all").get_data(as_text=True)
    assert _rows(_section(other, "cases-list")) == []


def test_desk_search_finds_a_case_by_its_number(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    closed = Walker(world, T0).to_state(registry().workflow("dibao"), "withdrawn")
    auth.login("clerk")
    body = client.get(f"/desk/?q={closed.case_no}").get_data(as_text=True)
    assert _rows(_section(body, "case-hits")) == [closed.id]
    assert 'id="case-hits"' not in client.get("/desk/?q=wdm").get_data(as_text=True)
    auth.logout()
    auth.login("other_clerk")
    assert 'id="case-hits"' not in client.get(f"/desk/?q={closed.case_no}").get_data(as_text=True)


def test_village_filter_groups_villages_under_their_townships_in_reach(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    add_unit(world.session, "640502101001", "文昌村", "village", world.other_township)
    world.session.commit()
    auth.login("approver")
    body = client.get("/queue/").get_data(as_text=True)
    village_select = body[
        body.index('name="village"') : body.index("</select>", body.index('name="village"'))
    ]
    groups = re.findall(r'<optgroup label="([^"]+)">', village_select)
    assert groups == ["滨河镇", "文昌镇"]
    assert (
        village_select.index("示例村")
        < village_select.index('label="文昌镇"')
        < village_select.index("文昌村")
    )
    narrowed = client.get("/queue/?township=640502101").get_data(as_text=True)
    start = narrowed.index('name="village"')
    assert "示例村" not in narrowed[start : narrowed.index("</select>", start)]
    auth.logout()
    auth.login("reviewer")  # a township user sees only its own villages
    body = client.get("/queue/").get_data(as_text=True)
    assert "文昌村" not in body and re.findall(r'<optgroup label="([^"]+)">', body) == ["滨河镇"]
