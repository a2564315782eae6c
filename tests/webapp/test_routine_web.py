"""The district-routine pages and the registry status at the desk: the training form's
field-by-field Chinese errors and the report of staff not trained, the screening rounds on the
campaigns page and the board's flag for a missed round, a report's Excel download, and the
poverty-registry standing beside a household at the desk, on the case page and in the queue."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from openpyxl import load_workbook
from registry_support import registry_with
from sqlalchemy import func, select
from support import World
from websupport import AuthActions, Scene

from caseflow.accounts.training_models import TrainingAttendance, TrainingSession
from caseflow.campaigns.models import ScreeningRound


def test_training_form_names_each_wrong_field_in_chinese_and_writes_nothing(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("supervisor")
    form = client.get("/training/new").get_data(as_text=True)
    assert "参训人员" in form and "other_clerk" in form  # district staff see both townships
    response = client.post(
        "/training/new",
        data={"held_on": "2026-13-01", "topic": "", "trainer": "", "attendees": ["abc"]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("培训日期应为 年-月-日", "请填写培训主题", "请填写授课人", "参训人员须为"):
        assert message in page, message
    assert world.session.scalar(select(func.count(TrainingSession.id))) == 0
    clerk = world.users["clerk"].id
    ok = {
        "held_on": "2026-02-20",
        "topic": "特困认定办法",
        "trainer": "李老师",
        "attendees": [clerk],
    }
    assert client.post("/training/new", data=ok).status_code == 303
    world.session.rollback()
    assert world.session.scalar(select(func.count(TrainingAttendance.id))) == 1
    index = client.get("/training?year=2026").get_data(as_text=True)
    assert "特困认定办法" in index
    assert 'data-user="clerk"' not in index and 'data-user="inv1"' in index
    workbook = load_workbook(io.BytesIO(client.get("/training/untrained.xlsx?year=2026").data))
    usernames = {row[2] for row in workbook.active.iter_rows(min_row=2, values_only=True)}
    assert "inv1" in usernames and "clerk" not in usernames


def test_attendees_left_off_a_session_are_added_later_never_twice(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("supervisor")
    clerk, inv1 = world.users["clerk"].id, world.users["inv1"].id
    ok = {"held_on": "2026-02-20", "topic": "特困认定办法", "trainer": "李老师"}
    ok["attendees"] = [clerk]
    assert client.post("/training/new", data=ok).status_code == 303
    world.session.rollback()
    row = world.session.scalars(select(TrainingSession)).one()
    url = f"/training/{row.id}/attendance"
    assert url in client.get("/training?year=2026").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert f'value="{clerk}" checked disabled' in page and f'value="{inv1}">' in page
    again = client.post(url, data={"attendees": [clerk]})
    assert again.status_code == 400 and "已登记为本场参训人员" in again.get_data(as_text=True)
    assert client.post(url, data={}).status_code == 400  # nobody chosen
    world.session.rollback()
    assert world.session.scalar(select(func.count(TrainingAttendance.id))) == 1
    assert client.post(url, data={"attendees": [inv1]}).status_code == 303
    world.session.rollback()
    assert world.session.scalar(select(func.count(TrainingAttendance.id))) == 2
    index = client.get("/training?year=2026").get_data(as_text=True)
    assert 'data-user="inv1"' not in index
    assert client.get(f"/training/{row.id + 1}/attendance").status_code == 404
    auth.logout()
    auth.login("leader")
    assert client.get(url).status_code == 403


def test_township_leader_reads_the_training_report_of_the_own_township_only(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("leader")
    page = client.get("/training").get_data(as_text=True)
    assert 'data-user="inv1"' in page and "other_clerk" not in page
    assert client.get("/training/new").status_code == 403


def test_rounds_on_the_campaigns_page_and_a_missed_round_on_the_board(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("leader")  # the app's clock: 2026-03-02, the first half of 2026 still runs
    board = client.get("/board").get_data(as_text=True)
    assert "2025年下半年排查摸底未开展" in board and "文昌镇" not in board
    bad = {
        "township": "640502100",
        "year": "2025",
        "half": "2",
        "held_from": "2025-03-01",
        "held_to": "2025-02-01",
        "households": "x",
    }
    response = client.post("/campaigns/rounds/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "开始日期应在2025年下半年内" in page and "排查户数应为" in page
    good = {**bad, "held_from": "2025-10-08", "held_to": "2025-11-20", "households": "86"}
    assert client.post("/campaigns/rounds/new", data=good).status_code == 303
    world.session.rollback()
    assert world.session.scalar(select(func.count(ScreeningRound.id))) == 1
    assert "2025年下半年排查摸底未开展" not in client.get("/board").get_data(as_text=True)
    campaigns = client.get("/campaigns").get_data(as_text=True)
    assert 'data-round-township="640502100"' in campaigns and 'data-status="open"' in campaigns


def test_classified_report_downloads_as_a_workbook_and_a_bad_month_is_a_chinese_400(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("reviewer")
    response = client.get("/reports/classified.xlsx?from=2026-01&to=2026-03")
    assert response.status_code == 200
    header = next(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert header[:5] == ("月份", "乡镇", "A类户数", "A类人数", "A类金额（元）")
    bad = client.get("/reports/changes?month=2026-13")
    assert bad.status_code == 400 and "月份格式应为" in bad.get_data(as_text=True)


def test_registry_status_at_the_desk_on_the_case_page_and_in_the_queue(
    world: World, scene: Scene, client: FlaskClient, auth: AuthActions
) -> None:
    own = scene.own
    registry_with(
        world, [(own.household, "一般贫困户", "因病", {})], category={own.household.id: "C1"}
    )
    auth.login("clerk")
    found = client.get("/desk/?q=王大明").get_data(as_text=True)
    assert "脱贫户·因病" in found
    household = client.get(f"/desk/households/{own.household.id}").get_data(as_text=True)
    assert "脱贫户·因病" in household and "上次比对 C1" in household
    assert "脱贫户·因病" in client.get(f"/cases/{own.case.id}").get_data(as_text=True)
    queue = client.get("/queue/").get_data(as_text=True)
    assert own.case.case_no in queue and "脱贫户·因病" in queue
