"""The supervisors' board, the notifications inbox and the audit search, on both databases.

One scene with a fixed clock (Wednesday 11 March 2026, 09:00): cases opened on different days
by the engine, escalated by the real sweep, then counted, drilled into, read and searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from support import SH, World

from caseflow.casework.personal_data import reveal
from caseflow.clock.calendar_store import load_calendar
from caseflow.clock.deadlines import LEVEL_DISTRICT
from caseflow.clock.workcal import WorkdayCalendar, working_days_between
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, Member, Notification, OrgUnit
from caseflow.engine.fire import open_case
from caseflow.inbox.read import inbox_page, mark_all_read, mark_read, unread_count
from caseflow.kernel.actors import Actor
from caseflow.read import board as bd
from caseflow.read.audit_search import (
    ADMIN_EVENTS,
    CASE_EVENTS,
    PERSONAL_VIEWS,
    AuditFilters,
    export_csv,
    search,
)
from caseflow.timer.sweep import sweep

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=SH)
OWN, OTHER = "640502100", "640502101"


@dataclass
class Scene:
    late_4: Case  # 滨河镇, due 5 March: 4 working days late, escalated to the district
    late_7: Case  # 滨河镇, due 2 March: 7 working days late
    late_long: Case  # 滨河镇, due before Spring Festival: > 15 working days late
    soon: Case  # 滨河镇, due tomorrow
    later: Case  # 滨河镇, due in 3 working days: on no list
    other: Case  # 文昌镇, 4 working days late
    done: Case  # 滨河镇, late but final: never counted


def _open(world: World, when: datetime, unit: OrgUnit | None = None, clerk: str = "clerk") -> Case:
    hh = world.household(unit=unit)
    return open_case(world.session, "dibao", hh.id, world.actor(clerk), when, summary="测试案件")


def _at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=SH)


def _refresh(world: World, case: Case) -> Case:
    world.session.rollback()
    found = world.session.get(Case, case.id, populate_existing=True)
    assert found is not None
    return found


@pytest.fixture
def scene(engine: Engine, world: World) -> Scene:
    from caseflow.engine.fire import fire

    done = _open(world, _at(2, 2))
    fire(world.session, done.id, "withdraw", world.actor("clerk"), _at(3, 2), {"reason": "撤回"})
    s = Scene(
        late_4=_open(world, _at(2)),
        late_7=_open(world, _at(25, 2)),
        late_long=_open(world, _at(2, 2)),
        soon=_open(world, _at(9)),
        later=_open(world, _at(11)),
        other=_open(world, _at(2), world.other_township, "other_clerk"),
        done=done,
    )
    report = sweep(make_session_factory(engine), NOW)
    assert not report.failed
    for name in s.__dataclass_fields__:
        setattr(s, name, _refresh(world, getattr(s, name)))
    return s


def _leader(world: World) -> Actor:
    return world.actor("leader")


def test_bucket_boundaries_agree_with_counting_day_by_day() -> None:
    cal = WorkdayCalendar()
    # Every due date from December to April against clocks on working days, weekends and during
    # the 2026 Spring Festival holiday (make-up Saturdays included).
    nows = [datetime(2026, 2, d, h, tzinfo=SH) for d in (13, 14, 16, 24, 28) for h in (0, 9, 23)]
    nows += [NOW, datetime(2026, 3, 14, 12, tzinfo=SH)]
    for now in nows:
        b = bd.boundaries(cal, now)
        due = datetime(2025, 12, 1, 23, 59, 59, tzinfo=SH)
        while due < datetime(2026, 4, 10, tzinfo=SH):
            expected = bd.aging_bucket(cal, due, now)
            if due >= now:
                got = bd.DUE_SOON if due < b.soon_before else None
            elif due >= b.over_5:
                got = bd.OVERDUE_0_5
            elif due >= b.over_15:
                got = bd.OVERDUE_5_15
            else:
                got = bd.OVERDUE_OVER_15
            assert got == expected, (now, due)
            due += timedelta(hours=8)


def test_board_counts_by_township_state_and_bucket(world: World, scene: Scene) -> None:
    cal = load_calendar(world.session)
    assert scene.late_4.escalation_level == LEVEL_DISTRICT
    assert scene.done.is_final
    # The scene is what its comments say, by the case-by-case reference.
    expected_bucket = {
        scene.late_4.id: bd.OVERDUE_0_5,
        scene.late_7.id: bd.OVERDUE_5_15,
        scene.late_long.id: bd.OVERDUE_OVER_15,
        scene.soon.id: bd.DUE_SOON,
        scene.later.id: None,
        scene.other.id: bd.OVERDUE_0_5,
    }
    for case_id, bucket in expected_bucket.items():
        case = world.session.get(Case, case_id)
        assert case is not None
        assert bd.aging_bucket(cal, case.due_at, NOW) == bucket, case.case_no
    assert working_days_between(cal, scene.late_4.due_at, NOW) == 4  # type: ignore[arg-type]

    totals = bd.board_totals(world.session, world.actor("supervisor"), NOW)
    rows = {r.code: r for r in totals.townships}
    assert len(rows) == 11  # every township of the district, with or without late cases
    own, other = rows[OWN], rows[OTHER]
    assert own.name == "滨河镇" and other.name == "文昌镇"
    assert own.total[bd.OVERDUE] == 3 and other.total[bd.OVERDUE] == 1
    assert own.total[bd.ESCALATED] == 3 and other.total[bd.ESCALATED] == 1
    assert own.by_state["accepted"][bd.OVERDUE] == 3
    assert own.total[bd.DUE_SOON] == 1
    assert (own.total[bd.OVERDUE_0_5], own.total[bd.OVERDUE_5_15]) == (1, 1)
    assert own.total[bd.OVERDUE_OVER_15] == 1
    assert totals.total == {
        bd.OVERDUE: 4,
        bd.ESCALATED: 4,
        bd.DUE_SOON: 1,
        bd.OVERDUE_0_5: 2,
        bd.OVERDUE_5_15: 1,
        bd.OVERDUE_OVER_15: 1,
    }
    assert totals.states == ["accepted"]
    assert rows["640502102"].total == dict.fromkeys(bd.MEASURES, 0)


def test_township_leader_sees_only_their_township(world: World, scene: Scene) -> None:
    totals = bd.board_totals(world.session, _leader(world), NOW)
    assert [r.code for r in totals.townships] == [OWN]
    assert totals.total[bd.OVERDUE] == 3
    listed = bd.drill_down(world.session, _leader(world), NOW, measure=bd.OVERDUE, per_page=100)
    assert scene.other.id not in {r.case_id for r in listed.rows}
    with pytest.raises(bd.UnknownFilter):
        bd.drill_down(world.session, _leader(world), NOW, measure=bd.OVERDUE, township=OTHER)
    # The other township's reviewer sees its own case and nothing of 滨河镇.
    theirs = bd.board_totals(world.session, world.actor("other_reviewer"), NOW)
    assert [r.code for r in theirs.townships] == [OTHER]
    assert theirs.total[bd.OVERDUE] == 1


def test_drill_down_lists_match_every_number(world: World, scene: Scene) -> None:
    supervisor = world.actor("supervisor")
    totals = bd.board_totals(world.session, supervisor, NOW)
    checked = 0
    for row in totals.townships:
        for state, counts in row.by_state.items():
            for measure in bd.MEASURES:
                page = bd.drill_down(
                    world.session,
                    supervisor,
                    NOW,
                    measure=measure,
                    township=row.code,
                    state=state,
                    per_page=100,
                )
                assert page.total == counts[measure] == len(page.rows), (row.code, state, measure)
                checked += 1
    for measure in bd.MEASURES:
        page = bd.drill_down(world.session, supervisor, NOW, measure=measure, per_page=100)
        assert page.total == totals.total[measure]
    assert checked >= len(bd.MEASURES) * 2
    # Most overdue first, with the working days late, and paging.
    overdue = bd.drill_down(world.session, supervisor, NOW, measure=bd.OVERDUE, per_page=2)
    assert overdue.total == 4 and overdue.pages == 2
    assert overdue.rows[0].case_id == scene.late_long.id
    assert overdue.rows[0].working_days_late is not None and overdue.rows[0].working_days_late > 15
    assert overdue.rows[0].township_name == "滨河镇" and overdue.rows[0].head_name == "王大明"
    second = bd.drill_down(world.session, supervisor, NOW, measure=bd.OVERDUE, per_page=2, page=2)
    assert {r.case_id for r in second.rows} == {scene.late_4.id, scene.other.id}
    assert scene.done.id not in {r.case_id for r in overdue.rows + second.rows}
    with pytest.raises(bd.UnknownFilter):
        bd.drill_down(world.session, supervisor, NOW, measure="nonsense")


def test_board_warns_when_next_years_calendar_is_missing(world: World, scene: Scene) -> None:
    page = bd.board(world.session, world.actor("supervisor"), NOW)
    assert page.warnings == ["2027 年法定节假日尚未录入，按周末推算"]
    assert page.state_labels["accepted"] == "已受理"


# --- inbox --------------------------------------------------------------------------------------


def test_inbox_counts_lists_and_marks_only_ones_own(world: World, scene: Scene) -> None:
    session = world.session
    sup, leader = world.users["supervisor"].id, world.users["leader"].id
    # Escalated to the district: 4 cases (the long-late one climbed to the bureau as well).
    assert unread_count(session, sup) >= 4
    leader_before = unread_count(session, leader)
    assert leader_before >= 3  # overdue cases of 滨河镇 go to its leader
    unread = unread_count(session, sup)
    page = inbox_page(session, sup, per_page=3)
    # One line per case: the newest entry, with how many the case has.
    cases = session.scalars(
        select(Notification.case_id).where(Notification.user_id == sup).distinct()
    ).all()
    assert page.total == len(cases) and len(page.rows) == 3
    whole = inbox_page(session, sup, per_page=100)
    assert sum(r.count for r in whole.rows) == unread
    assert sum(r.unread_in_group for r in whole.rows) == unread
    assert page.rows[0].created_at >= page.rows[-1].created_at
    assert page.rows[0].kind_label in {"督办", "逾期", "即将到期提醒"}
    mine = page.rows[0].id
    theirs = session.scalars(select(Notification.id).where(Notification.user_id == leader)).first()
    assert theirs is not None
    assert mark_read(session, sup, theirs, NOW) is False  # not the supervisor's
    assert unread_count(session, leader) == leader_before
    assert mark_read(session, sup, mine, NOW) is True
    assert unread_count(session, sup) == unread - 1
    changed = mark_all_read(session, sup, NOW + timedelta(minutes=1))
    assert changed == unread - 1
    assert unread_count(session, sup) == 0
    assert unread_count(session, leader) == leader_before  # untouched
    assert inbox_page(session, sup).total == page.total  # read ones stay listed


# --- audit search -------------------------------------------------------------------------------


def _reveal_all(world: World, scene: Scene) -> None:
    for case, clerk in ((scene.late_4, "clerk"), (scene.other, "other_clerk")):
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
    reveal(
        world.session,
        world.actor("clerk"),
        field="bank_account",
        household_id=scene.late_7.household_id,
        now=NOW,
    )


def test_audit_search_filters(world: World, scene: Scene) -> None:
    session, sup = world.session, world.actor("supervisor")
    everything = search(session, sup, CASE_EVENTS, AuditFilters(), per_page=500)
    case_ids = {r.case_id for r in everything.rows}
    assert {scene.late_4.id, scene.other.id, scene.done.id} <= case_ids
    by_case = search(session, sup, CASE_EVENTS, AuditFilters(case_no=scene.done.case_no))
    assert [r.trigger for r in by_case.rows] == ["withdraw", "open"]  # newest first
    assert by_case.rows[0].trigger_label != "withdraw"  # the workflow's Chinese label
    by_user = search(session, sup, CASE_EVENTS, AuditFilters(user="other_clerk"), per_page=500)
    assert {r.case_id for r in by_user.rows} == {scene.other.id}
    system = search(session, sup, CASE_EVENTS, AuditFilters(user="系统"), per_page=500)
    assert system.total > 0 and all(r.user_name == "系统" for r in system.rows)
    escalations = search(session, sup, CASE_EVENTS, AuditFilters(action="escalated_district"))
    assert {r.case_id for r in escalations.rows} == {
        scene.late_4.id,
        scene.late_7.id,
        scene.late_long.id,
        scene.other.id,
    }
    assert escalations.rows[0].trigger_label == "区级督办"
    by_household = search(
        session, sup, CASE_EVENTS, AuditFilters(household=str(scene.soon.household_id))
    )
    assert {r.case_id for r in by_household.rows} == {scene.soon.id}
    named = search(session, sup, CASE_EVENTS, AuditFilters(household="大明"), per_page=500)
    assert named.total == everything.total  # every test household's head is 王大明
    in_feb = search(
        session,
        sup,
        CASE_EVENTS,
        AuditFilters(since=date(2026, 2, 1), until=date(2026, 2, 28)),
        per_page=500,
    )
    assert {r.case_id for r in in_feb.rows} == {scene.late_7.id, scene.late_long.id, scene.done.id}
    assert all(r.trigger in {"open", "withdraw"} for r in in_feb.rows)
    paged = search(session, sup, CASE_EVENTS, AuditFilters(), per_page=5, page=2)
    assert paged.total == everything.total and len(paged.rows) == 5
    assert search(session, sup, CASE_EVENTS, AuditFilters(case_no="%")).total == 0


def test_audit_search_is_bounded_by_jurisdiction(world: World, scene: Scene) -> None:
    _reveal_all(world, scene)
    session, leader, sup = world.session, _leader(world), world.actor("supervisor")
    events = search(session, leader, CASE_EVENTS, AuditFilters(), per_page=500)
    assert events.total > 0
    assert scene.other.id not in {r.case_id for r in events.rows}
    asked = search(session, leader, CASE_EVENTS, AuditFilters(case_no=scene.other.case_no))
    assert asked.total == 0
    # Admin-log entries (policy entered at set-up by the system) are the district's business.
    assert search(session, sup, ADMIN_EVENTS, AuditFilters()).total > 0
    assert search(session, sup, ADMIN_EVENTS, AuditFilters(action="policy.enter")).total > 0
    assert search(session, leader, ADMIN_EVENTS, AuditFilters()).total == 0
    views = search(session, leader, PERSONAL_VIEWS, AuditFilters())
    assert views.total == 2
    assert all(r.head_name == "王大明" for r in views.rows)
    all_views = search(session, sup, PERSONAL_VIEWS, AuditFilters())
    assert all_views.total == 3


def test_personal_data_views_are_listed(world: World, scene: Scene) -> None:
    _reveal_all(world, scene)
    sup = world.actor("supervisor")
    views = search(world.session, sup, PERSONAL_VIEWS, AuditFilters(action="id_number"))
    assert views.total == 2
    row = next(r for r in views.rows if r.case_id == scene.late_4.id)
    assert row.field_label == "身份证号" and row.purpose == "核对身份"
    assert row.case_no == scene.late_4.case_no and row.user_name.endswith("（clerk）")
    by_user = search(world.session, sup, PERSONAL_VIEWS, AuditFilters(user="clerk"))
    assert {r.field for r in by_user.rows} == {"id_number", "bank_account"}
    by_case = search(world.session, sup, PERSONAL_VIEWS, AuditFilters(case_no=scene.other.case_no))
    assert by_case.total == 1


def test_csv_export_has_bom_header_and_the_same_rows(world: World, scene: Scene) -> None:
    _reveal_all(world, scene)
    sup = world.actor("supervisor")
    filters = AuditFilters(action="escalated_district")
    text = export_csv(world.session, sup, CASE_EVENTS, filters)
    assert text.startswith("\ufeff时间,案件编号,")
    lines = text.removeprefix("\ufeff").strip().split("\r\n")
    assert len(lines) == 1 + search(world.session, sup, CASE_EVENTS, filters).total == 5
    assert scene.other.case_no in text and "区级督办" in text
    leader_text = export_csv(world.session, _leader(world), CASE_EVENTS, filters)
    assert scene.other.case_no not in leader_text
    assert len(leader_text.strip().split("\r\n")) == 4
    views = export_csv(world.session, sup, PERSONAL_VIEWS, AuditFilters())
    assert views.startswith("\ufeff时间,查看人,查看内容")
    assert views.count("身份证号") == 2 and "银行账号" in views
    admin = export_csv(world.session, sup, ADMIN_EVENTS, AuditFilters())
    assert "policy.enter" in admin
    # The encoded bytes start with the UTF-8 byte-order mark Excel looks for.
    assert views.encode("utf-8").startswith(b"\xef\xbb\xbf")
