"""The board (督办), the inbox (消息) and the audit search (审计) through the Flask test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from support import SH, World
from websupport import HASH, AuthActions, make_app

from caseflow.casework.personal_data import reveal
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, Household, Member, Notification, OrgUnit
from caseflow.engine.audit import append_admin_event
from caseflow.engine.fire import open_case
from caseflow.inbox.read import unread_count
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.names import mask_name
from caseflow.timer.sweep import sweep

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=SH)
OWN, OTHER = "640502100", "640502101"


@dataclass
class Cases:
    late: Case  # 滨河镇, 4 working days late, 督办
    very_late: Case  # 滨河镇, more than 15 working days late
    soon: Case  # 滨河镇, due tomorrow
    other: Case  # 文昌镇, 4 working days late


def _open(world: World, when: datetime, unit: OrgUnit | None = None, clerk: str = "clerk") -> Case:
    hh = world.household(unit=unit)
    return open_case(world.session, "dibao", hh.id, world.actor(clerk), when, summary="测试")


@pytest.fixture
def cases(engine: Engine, world: World) -> Cases:
    made = Cases(
        late=_open(world, datetime(2026, 3, 2, 9, tzinfo=SH)),
        very_late=_open(world, datetime(2026, 2, 2, 9, tzinfo=SH)),
        soon=_open(world, datetime(2026, 3, 9, 9, tzinfo=SH)),
        other=_open(world, datetime(2026, 3, 2, 9, tzinfo=SH), world.other_township, "other_clerk"),
    )
    assert not sweep(make_session_factory(engine), NOW).failed
    world.session.rollback()
    return made


@pytest.fixture
def board_app(world: World, engine: Engine, tmp_path: Path) -> Iterator[Flask]:
    """The app with its clock stopped at NOW (Wednesday 11 March 2026, 09:00)."""
    for user in world.users.values():
        user.password_hash = HASH
    world.session.commit()
    flask_app = make_app(engine, tmp_path, NOW=lambda: NOW)
    yield flask_app
    flask_app.extensions["caseflow_engine"].dispose()


@pytest.fixture
def client(board_app: Flask) -> FlaskClient:
    return board_app.test_client()


def _links(body: str, css: str = "count") -> dict[tuple[str, str, str], tuple[str, str]]:
    """Board links: (measure, township, state) → (href, number)."""
    found = {}
    pattern = (
        rf'<a class="{css}" data-measure="(\w+)" data-township="(\d+)"(?: data-state="(\w+)")? '
        r'href="([^"]+)">(\d+)</a>'
    )
    for measure, township, state, href, number in re.findall(pattern, body):
        found[(measure, township, state)] = (href.replace("&amp;", "&"), number)
    return found


def test_board_shows_counts_charts_and_the_2027_warning(
    client: FlaskClient, auth: AuthActions, cases: Cases
) -> None:
    auth.login("supervisor")
    body = client.get("/board").get_data(as_text=True)
    assert "督办看板" in body
    assert "2027 年法定节假日尚未录入，按周末推算" in body
    assert 'class="flash flash-warning calendar-warning"' in body
    assert '<svg class="chart" id="chart-aging"' in body and 'id="chart-townships"' in body
    links = _links(body)
    assert links[("overdue", OWN, "accepted")][1] == "2"
    assert links[("overdue", OTHER, "accepted")][1] == "1"
    assert links[("escalated", OWN, "accepted")][1] == "2"
    assert links[("due_soon", OWN, "")][1] == "1"
    assert links[("overdue_over_15", OWN, "")][1] == "1"
    assert '<a href="/board">督办</a>' in body  # nav link


def test_drill_down_from_a_number_to_the_case(
    client: FlaskClient, auth: AuthActions, cases: Cases
) -> None:
    auth.login("supervisor")
    href, number = _links(client.get("/board").get_data(as_text=True))[("overdue", OWN, "accepted")]
    page = client.get(href)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    listed = re.findall(r'class="case-link" href="/cases/(\d+)">', body)
    assert len(listed) == int(number) == 2
    assert {int(i) for i in listed} == {cases.late.id, cases.very_late.id}
    assert cases.other.case_no not in body and "已逾期 · 滨河镇 · 已受理" in body
    assert client.get(f"/cases/{listed[0]}").status_code == 200
    # Every bucket and the totals drill down too; bad input is refused, never a 500.
    for measure in ("due_soon", "overdue_0_5", "overdue_5_15", "overdue_over_15", "escalated"):
        assert client.get(f"/board/cases?measure={measure}").status_code == 200
    assert client.get("/board/cases?measure=nonsense").status_code == 400
    assert client.get("/board/cases?measure=overdue&township=999").status_code == 404
    assert client.get("/board/cases?measure=overdue&page=abc").status_code == 200
    assert client.get("/board/cases?measure=overdue&state=%00").status_code == 400


def test_township_leader_sees_only_their_township(
    client: FlaskClient, auth: AuthActions, cases: Cases
) -> None:
    auth.login("leader")
    body = client.get("/board").get_data(as_text=True)
    links = _links(body)
    assert {t for _, t, _ in links} == {OWN}
    assert "文昌镇" not in body
    assert client.get(f"/board/cases?measure=overdue&township={OTHER}").status_code == 404
    listed = client.get("/board/cases?measure=overdue").get_data(as_text=True)
    assert cases.late.case_no in listed and cases.other.case_no not in listed


def test_board_is_denied_to_other_roles(
    client: FlaskClient, auth: AuthActions, cases: Cases
) -> None:
    auth.login("clerk")
    assert client.get("/board").status_code == 403
    assert client.get("/board/cases?measure=overdue").status_code == 403
    assert '<a href="/board">' not in client.get("/inbox").get_data(as_text=True)


def test_inbox_unread_badge_read_one_and_all(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    session = world.session
    sup, leader = world.users["supervisor"].id, world.users["leader"].id
    unread = unread_count(session, sup)
    assert unread >= 3
    auth.login("supervisor")
    body = client.get("/inbox").get_data(as_text=True)
    assert f'<span class="badge" id="inbox-unread" title="未读消息">{unread}</span>' in body
    assert "区级督办" in body
    session.rollback()
    mine = session.scalars(
        select(Notification).where(Notification.user_id == sup).order_by(Notification.id)
    ).first()
    theirs = session.scalars(select(Notification.id).where(Notification.user_id == leader)).first()
    assert mine is not None and theirs is not None
    # Someone else's notification: 404, and it stays unread.
    leader_unread = unread_count(session, leader)
    assert client.post(f"/inbox/{theirs}/read").status_code == 404
    session.rollback()
    assert unread_count(session, leader) == leader_unread
    # One's own: marked read, and "open" goes on to its case.
    response = client.post(f"/inbox/{mine.id}/read", data={"open": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{mine.case_id}")
    session.rollback()
    assert unread_count(session, sup) == unread - 1
    assert client.get("/inbox?unread=1").get_data(as_text=True).count(
        'class="link">标为已读</button>'
    ) == (unread - 1)
    response = client.post("/inbox/read-all")
    assert response.status_code == 303
    body = client.get("/inbox").get_data(as_text=True)
    assert 'id="inbox-unread"' not in body and "已读" in body
    session.rollback()
    assert unread_count(session, sup) == 0
    assert unread_count(session, leader) == leader_unread


def _reveal(world: World, case: Case, clerk: str) -> None:
    member = world.session.scalars(
        select(Member).where(Member.household_id == case.household_id)
    ).first()
    assert member is not None
    reveal(
        world.session,
        world.actor(clerk),
        field="id_number",
        household_id=case.household_id,
        member_id=member.id,
        case_id=case.id,
        now=NOW,
        purpose="核对身份",
    )


def test_audit_search_page_and_jurisdiction(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    _reveal(world, cases.late, "clerk")
    _reveal(world, cases.other, "other_clerk")
    auth.login("supervisor")
    body = client.get(f"/audit?kind=case_events&case_no={cases.other.case_no}").get_data(
        as_text=True
    )
    assert cases.other.case_no in body and "区级督办" in body and "受理" in body
    views = client.get("/audit?kind=personal_views").get_data(as_text=True)
    assert "共 2 条" in views and "身份证号" in views and "核对身份" in views
    admin_log = client.get("/audit?kind=admin_events&user=系统").get_data(as_text=True)
    assert "policy.enter" in admin_log
    assert client.get("/audit?since=2026-13-01").status_code == 400
    assert client.get("/audit?since=2026-03-05&until=2026-03-01").status_code == 400
    assert client.get("/audit?kind=nonsense").status_code == 400
    auth.logout()
    auth.login("leader")
    hidden = client.get(f"/audit?case_no={cases.other.case_no}").get_data(as_text=True)
    assert "共 0 条" in hidden
    assert "共 1 条" in client.get("/audit?kind=personal_views").get_data(as_text=True)
    assert "共 0 条" in client.get("/audit?kind=admin_events").get_data(as_text=True)
    auth.logout()
    auth.login("clerk")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_audit_csv_export(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    _reveal(world, cases.late, "clerk")
    auth.login("supervisor")
    response = client.get("/audit/export.csv?kind=case_events&action=escalated_district")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").strip().split("\r\n")
    assert lines[0].startswith("时间,案件编号,家庭编号,户主,操作人")
    assert len(lines) == 1 + 3  # late, very_late and other were escalated to the district
    assert cases.other.case_no in raw.decode("utf-8")
    page = client.get("/audit?kind=case_events&action=escalated_district").get_data(as_text=True)
    assert 'href="/audit/export.csv?kind=case_events&amp;action=escalated_district"' in page
    views = client.get("/audit/export.csv?kind=personal_views").get_data().decode("utf-8-sig")
    assert "身份证号" in views and cases.late.case_no in views
    assert client.get("/audit/export.csv?since=nope").status_code == 400


def test_drill_down_says_who_holds_each_overdue_case(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    from caseflow.casework.claims import claim

    claim(world.session, cases.very_late.id, world.actor("clerk"), NOW)
    auth.login("supervisor")
    body = client.get(f"/board/cases?measure=overdue&township={OWN}").get_data(as_text=True)
    holders = dict(
        re.findall(r'<tr data-case-id="(\d+)">.*?<td class="holder[^"]*">([^<]+)</td>', body, re.S)
    )
    assert holders[str(cases.late.id)] == "一门受理窗口 · 滨河镇待办（未认领）"
    assert holders[str(cases.very_late.id)] == "clerk（已认领）"
    assert "当前承办" in body


def _inbox_lines(body: str) -> list[tuple[str, str]]:
    """(case id, text) of each line of the inbox."""
    return re.findall(
        r'<tr data-notification-id="\d+" data-case-id="(\d+)"[^>]*>(.*?)</tr>', body, re.S
    )


def test_a_supervisors_note_is_recorded_shown_on_the_case_and_told_to_the_holder(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    from caseflow.db.models import CaseEvent

    auth.login("supervisor")
    listing = f"/board/cases?measure=overdue&township={OWN}"
    body = client.get(listing).get_data(as_text=True)
    assert f'action="/board/cases/{cases.late.id}/note"' in body
    sent = client.post(
        f"/board/cases/{cases.late.id}/note",
        data={"note": "请于本周内完成受理审查", "back": listing},
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith(listing)
    event = world.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == cases.late.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert event is not None and event.trigger == "supervise_note"
    assert event.payload == {"note": "请于本周内完成受理审查"} and event.to_state == "accepted"
    page = client.get(f"/cases/{cases.late.id}").get_data(as_text=True)
    assert 'id="supervision-notes"' in page and "请于本周内完成受理审查" in page
    # Not overdue: refused with the reason, nothing recorded; an empty note is refused too.
    before = world.session.scalar(select(Case.version).where(Case.id == cases.soon.id))
    refused = client.post(
        f"/board/cases/{cases.soon.id}/note", data={"note": "催"}, follow_redirects=True
    )
    assert "案件尚未逾期，无需督办" in refused.get_data(as_text=True)
    empty = client.post(
        f"/board/cases/{cases.late.id}/note", data={"note": " "}, follow_redirects=True
    )
    assert "未提交" in empty.get_data(as_text=True)
    world.session.rollback()
    assert world.session.scalar(select(Case.version).where(Case.id == cases.soon.id)) == before
    assert (
        client.post(f"/board/cases/{cases.other.id + 999}/note", data={"note": "x"}).status_code
        == 404
    )
    auth.logout()
    # The holder — the township's clerk, whose queue the case waits in — is told.
    notes = world.session.scalars(
        select(Notification).where(Notification.kind == "supervision")
    ).all()
    assert [n.user_id for n in notes] == [world.users["clerk"].id]
    assert "督查" not in notes[0].title and "请于本周内完成受理审查" in notes[0].body
    auth.login("leader")  # may see the board, may not write notes
    assert client.post(f"/board/cases/{cases.late.id}/note", data={"note": "x"}).status_code == 403


def test_a_note_goes_to_the_colleague_who_claimed_the_case(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    from caseflow.casework.claims import claim
    from caseflow.engine.fire import fire

    claim(world.session, cases.late.id, world.actor("clerk"), NOW)
    fire(
        world.session,
        cases.late.id,
        "supervise_note",
        world.actor("approver"),
        NOW,
        {"note": "加快"},
    )
    told = world.session.scalars(
        select(Notification.user_id).where(Notification.kind == "supervision")
    ).all()
    assert told == [world.users["clerk"].id]


def test_inbox_shows_one_line_per_case_and_marks_the_case_read(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    from caseflow.engine.fire import fire

    for text in ("第一次督办", "第二次督办"):
        fire(
            world.session,
            cases.late.id,
            "supervise_note",
            world.actor("supervisor"),
            NOW,
            {"note": text},
        )
    clerk = world.users["clerk"].id
    per_case = world.session.scalar(
        select(func.count()).where(
            Notification.user_id == clerk, Notification.case_id == cases.late.id
        )
    )
    assert per_case >= 3  # the sweep's reminders and escalations, and the two notes
    auth.login("clerk")
    body = client.get("/inbox").get_data(as_text=True)
    lines = _inbox_lines(body)
    ids = [case_id for case_id, _ in lines]
    assert len(ids) == len(set(ids))  # one line per case
    line = dict(lines)[str(cases.late.id)]
    assert "第二次督办" in line and "第一次督办" not in line  # the newest entry
    assert f"本案共 {per_case} 条消息" in line
    assert client.post(f"/inbox/cases/{cases.late.id}/read").status_code == 303
    world.session.rollback()  # a fresh snapshot: the app has written since
    assert (
        world.session.scalar(
            select(func.count()).where(
                Notification.user_id == clerk,
                Notification.case_id == cases.late.id,
                Notification.read_at.is_(None),
            )
        )
        == 0
    )
    opened = client.post(f"/inbox/cases/{cases.very_late.id}/read", data={"open": "1"})
    assert opened.headers["Location"].endswith(f"/cases/{cases.very_late.id}")
    # Another user's case notifications are as missing as none at all.
    assert client.post(f"/inbox/cases/{cases.other.id}/read").status_code == 404


def test_the_admin_reads_the_audit_trail_without_applicants_names_or_id_numbers(
    client: FlaskClient, auth: AuthActions, world: World, cases: Cases
) -> None:
    _reveal(world, cases.late, "clerk")
    world.session.rollback()
    head = world.session.get(Household, cases.late.household_id)
    assert head is not None and len(head.head_name) >= 2
    id_number = make_id_number("640502", date(1960, 5, 1), 17)
    append_admin_event(
        world.session,
        actor_id=world.users["supervisor"].id,
        action="duplicate_override",
        subject=f"户主 {head.head_name}（家庭 {head.id}）· {id_number}",
        payload={},
        at=NOW,
    )
    world.session.commit()
    masked_name = mask_name(head.head_name)
    auth.login("admin")
    pages = [
        client.get(f"/audit?kind={kind}").get_data(as_text=True)
        for kind in ("case_events", "personal_views", "admin_events")
    ] + [
        client.get(f"/audit/export.csv?kind={kind}").get_data(as_text=True)
        for kind in ("case_events", "personal_views", "admin_events")
    ]
    for body in pages:
        assert head.head_name not in body and id_number not in body
    assert masked_name in pages[0] and masked_name in pages[4] and masked_name in pages[5]
    assert "640502********" in pages[2]
    by_name = client.get(f"/audit?kind=case_events&household={head.head_name}")
    assert by_name.status_code == 400
    assert "您的角色只能按家庭编号查询" in by_name.get_data(as_text=True)
    assert client.get(f"/audit/export.csv?household={head.head_name}").status_code == 400
    by_number = client.get(f"/audit?kind=case_events&household={head.id}")
    assert by_number.status_code == 200 and cases.late.case_no in by_number.get_data(as_text=True)
    auth.logout()
    auth.login("supervisor")  # works on cases: reads the names, never a quoted ID number
    events = client.get("/audit?kind=case_events").get_data(as_text=True)
    assert head.head_name in events
    log = client.get("/audit?kind=admin_events").get_data(as_text=True)
    assert f"户主 {head.head_name}" in log and id_number not in log
