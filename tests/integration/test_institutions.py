"""特困 institutional care: the admission path through fire, beds that are never double-booked
(a database constraint, not only a check), a full institution refused, and the roll paying
the institution instead of the household."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from click.testing import CliRunner
from institution_support import (
    INSTITUTION_ACCOUNT,
    admit,
    confirm_bed,
    discharge,
    institution_form,
    make_institution,
    second_in_line,
    tekun_person,
)
from payments_support import at, walk_on
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from support import World
from walker import Walker, shortest_path

from caseflow.cli.main import main
from caseflow.db.engine import make_session_factory
from caseflow.db.models import AdminEvent, Case, CaseEvent
from caseflow.engine.fire import fire, open_case
from caseflow.engine.plugins import GUARDS, Guard
from caseflow.institutions.admission import propose_admission
from caseflow.institutions.beds import BedTaken
from caseflow.institutions.models import Admission, BedOccupancy, Institution
from caseflow.institutions.records import save_institution
from caseflow.kernel.errors import (
    ConcurrencyConflict,
    GuardFailed,
    PayloadInvalid,
    PermissionDenied,
)
from caseflow.payments.entitlements import amount_in, latest, versions_of
from caseflow.payments.models import PLACEMENT, STOP, RollRow
from caseflow.payments.reconcile import reconcile
from caseflow.payments.roll import prepare_roll
from caseflow.read.queue import actionable_pairs
from caseflow.workflow.registry import registry


def _live_beds(s: Session, inst_id: int) -> list[int]:
    return sorted(
        s.scalars(
            select(BedOccupancy.bed_no).where(
                BedOccupancy.institution_id == inst_id, BedOccupancy.ended_at.is_(None)
            )
        )
    )


def _counts(s: Session) -> tuple[int, int, int, int]:
    s.rollback()
    return (
        s.scalar(select(func.count()).select_from(Case)) or 0,
        s.scalar(select(func.count()).select_from(Admission)) or 0,
        s.scalar(select(func.count()).select_from(BedOccupancy)) or 0,
        s.scalar(select(func.count()).select_from(CaseEvent)) or 0,
    )


def test_admission_takes_the_bed_and_the_roll_pays_the_institution(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world, at(2026, 3, 20))
    inst = make_institution(world)
    case = propose_admission(
        s, world.actor("reviewer"), person.id, inst.id, "unable_alone", at(2026, 4, 1)
    )
    assert (case.workflow_key, case.state, case.case_no[:3]) == ("admission", "proposed", "RY-")
    confirm_bed(world, case.id, 2, at(2026, 4, 2))
    assert _live_beds(s, inst.id) == [2]
    # The one who recorded the institution's confirmation does not approve it.
    with pytest.raises(PermissionDenied):
        fire(s, case.id, "approve_admission", world.actor("reviewer"), at(2026, 4, 3))
    fire(s, case.id, "approve_admission", world.actor("approver"), at(2026, 4, 3))
    s.refresh(case)
    assert case.state == "in_care"
    row = s.scalars(select(BedOccupancy).where(BedOccupancy.admission_case_id == case.id)).one()
    assert (row.bed_no, row.admitted_at is not None, row.care_level) == (2, True, "partial")
    version = latest(s, tekun.id)
    assert version is not None and version.kind == PLACEMENT
    assert (version.effective_month, version.basis["setting"]) == ("2026-05", "centralised")
    assert version.basis["institution_id"] == inst.id
    assert set(version.components) == {"basic", "care"} and version.components["care"] > 0

    roll = prepare_roll(s, world.actor("reviewer"), world.township.code, "2026-05", at(2026, 5, 3))
    rows = s.scalars(
        select(RollRow).where(RollRow.roll_id == roll.id, RollRow.case_id == tekun.id)
    ).all()
    monthly = [r for r in rows if r.for_month == "2026-05"]
    assert len(monthly) == 1
    line = monthly[0]
    assert (line.institution_id, line.bank_account, line.payee_name) == (
        inst.id,
        INSTITUTION_ACCOUNT,
        "滨河镇敬老院",
    )
    assert line.amount_fen == amount_in(versions_of(s, [tekun.id])[tekun.id], "2026-05")
    assert "基本生活费" in line.note and "照料护理费" in line.note
    # The household no longer receives the support: no row of the month to its own account.
    household_rows = [r for r in rows if r.for_month == "2026-05" and r.institution_id is None]
    assert household_rows == []
    assert reconcile(s, world.actor("finance"), "2026-05").differences == []


def test_an_earlier_month_still_goes_to_the_household(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world, at(2026, 3, 20))
    inst = make_institution(world)
    admit(world, person, inst, 1, at(2026, 4, 10))
    roll = prepare_roll(s, world.actor("reviewer"), world.township.code, "2026-04", at(2026, 4, 12))
    row = s.scalars(
        select(RollRow).where(RollRow.roll_id == roll.id, RollRow.case_id == tekun.id)
    ).one()
    assert row.institution_id is None and row.bank_account != INSTITUTION_ACCOUNT


def test_full_institution_is_refused_with_nothing_written(world: World) -> None:
    s = world.session
    inst = make_institution(world, licensed_beds=1, capacity_self_care=1, capacity_partial=1)
    _, first = tekun_person(world)
    admit(world, first, inst, 1, at(2026, 4, 1))
    _, second = tekun_person(world)
    before = _counts(s)
    with pytest.raises(PayloadInvalid) as refused:
        propose_admission(s, world.actor("reviewer"), second.id, inst.id, "chosen", at(2026, 4, 2))
    assert "床位已满" in refused.value.fields["institution_id"]
    assert "核定床位 1 张" in refused.value.fields["institution_id"]
    assert _counts(s) == before


def test_care_capacity_of_a_level_is_a_limit_too(world: World) -> None:
    s = world.session
    inst = make_institution(world, licensed_beds=2, capacity_partial=0)
    _, person = tekun_person(world)
    with pytest.raises(PayloadInvalid) as refused:
        propose_admission(s, world.actor("reviewer"), person.id, inst.id, "chosen", at(2026, 4, 2))
    assert "半失能护理能力已满" in refused.value.fields["institution_id"]


def test_a_taken_bed_is_refused_by_the_guard_and_nothing_is_written(world: World) -> None:
    s = world.session
    _, case = second_in_line(world)
    before = _counts(s)
    with pytest.raises(GuardFailed) as refused:
        confirm_bed(world, case.id, 1, at(2026, 4, 2))
    assert "第 1 号床位已有人入住" in refused.value.message_zh
    with pytest.raises(GuardFailed) as beyond:
        confirm_bed(world, case.id, 3, at(2026, 4, 2))
    assert "床位号须在 1–2 之间" in beyond.value.message_zh
    assert _counts(s) == before


def test_the_database_refuses_a_double_booking_the_check_let_through(
    world: World, monkeypatch: Any
) -> None:
    """Two writers pass the check at the same moment: the partial unique index decides."""
    s = world.session
    inst, case = second_in_line(world)
    # Both the guard and the effect's own re-check see a free bed, as a racing writer would.
    monkeypatch.setitem(GUARDS, "bed_free", Guard("bed_free", lambda ctx: None, True))
    monkeypatch.setattr("caseflow.institutions.beds.bed_problem", lambda *a: None)
    before = _counts(s)
    with pytest.raises(BedTaken) as refused:
        confirm_bed(world, case.id, 1, at(2026, 4, 2))
    assert "该床位刚被他人占用" in refused.value.message_zh
    assert _counts(s) == before
    s.refresh(case)
    assert case.state == "proposed"
    assert _live_beds(s, inst.id) == [1]


def test_a_second_live_row_for_a_bed_or_a_person_is_refused_by_the_database(
    world: World, engine: Any
) -> None:
    s = world.session
    inst = make_institution(world)
    _, first = tekun_person(world)
    _, second = tekun_person(world)
    case = admit(world, first, inst, 1, at(2026, 4, 1))
    insert = text(
        "INSERT INTO bed_occupancies (institution_id, bed_no, member_id, admission_case_id,"
        " care_level, reserved_at) VALUES (:i, :b, :m, :c, 'partial', :t)"
    )
    # A second writer, on its own connection, books the same bed for someone else.
    with engine.connect() as other, pytest.raises(IntegrityError):
        other.execute(
            insert, {"i": inst.id, "b": 1, "m": second.id, "c": case.id, "t": at(2026, 4, 2)}
        )
        other.commit()
    # The same person in a second bed.
    with engine.connect() as other, pytest.raises(IntegrityError):
        other.execute(
            insert, {"i": inst.id, "b": 2, "m": first.id, "c": case.id, "t": at(2026, 4, 2)}
        )
        other.commit()
    # A bed freed by a discharge can be booked again.
    discharge(world, case.id, at(2026, 6, 1))
    with engine.connect() as other:
        other.execute(
            insert, {"i": inst.id, "b": 1, "m": second.id, "c": case.id, "t": at(2026, 6, 3)}
        )
        other.commit()
    assert _live_beds(s, inst.id) == [1]


def test_discharge_frees_the_bed_and_pays_the_household_again(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world)
    inst = make_institution(world)
    case = admit(world, person, inst, 1, at(2026, 4, 1))
    discharge(world, case.id, at(2026, 6, 1))
    s.refresh(case)
    assert case.state == "discharged" and case.is_final
    assert _live_beds(s, inst.id) == []
    version = latest(s, tekun.id)
    assert version is not None and version.kind == PLACEMENT
    assert version.basis["setting"] == "dispersed" and "institution_id" not in version.basis
    assert version.effective_month == "2026-07"


def test_death_frees_the_bed_and_stops_the_support_from_the_next_month(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world)
    inst = make_institution(world)
    case = admit(world, person, inst, 1, at(2026, 4, 1))
    with pytest.raises(GuardFailed):
        fire(
            s,
            case.id,
            "record_death",
            world.actor("reviewer"),
            at(2026, 6, 1),
            {"died_on": "2026-06-20"},
        )
    fire(
        s,
        case.id,
        "record_death",
        world.actor("reviewer"),
        at(2026, 6, 21),
        {"died_on": "2026-06-20"},
    )
    s.refresh(case)
    assert case.state == "deceased"
    assert _live_beds(s, inst.id) == []
    version = latest(s, tekun.id)
    assert version is not None and (version.kind, version.effective_month) == (STOP, "2026-07")


def test_refusal_releases_the_bed(world: World) -> None:
    s = world.session
    _, person = tekun_person(world)
    inst = make_institution(world)
    case = propose_admission(
        s, world.actor("reviewer"), person.id, inst.id, "chosen", at(2026, 4, 1)
    )
    confirm_bed(world, case.id, 1, at(2026, 4, 2))
    fire(
        s, case.id, "refuse_admission", world.actor("approver"), at(2026, 4, 3), {"reasons": "测试"}
    )
    assert _live_beds(s, inst.id) == []
    ended = s.scalars(select(BedOccupancy).where(BedOccupancy.admission_case_id == case.id)).one()
    assert ended.end_reason == "released"


def test_proposal_is_refused_field_by_field(world: World) -> None:
    s = world.session
    inst = make_institution(world)
    not_tekun = world.household()
    _, person = tekun_person(world)
    with pytest.raises(PayloadInvalid) as refused:
        propose_admission(
            s, world.actor("reviewer"), not_tekun.members[0].id, 999999, "x", at(2026, 4, 1)
        )
    assert set(refused.value.fields) == {"member_id", "institution_id", "ground"}
    assert "不是正在供养的特困人员" in refused.value.fields["member_id"]
    # Another township's staff cannot reach the person at all.
    with pytest.raises(PayloadInvalid) as elsewhere:
        propose_admission(
            s, world.actor("other_reviewer"), person.id, inst.id, "chosen", at(2026, 4, 1)
        )
    assert "不在您的管辖范围内" in elsewhere.value.fields["member_id"]
    propose_admission(s, world.actor("reviewer"), person.id, inst.id, "chosen", at(2026, 4, 1))
    with pytest.raises(PayloadInvalid) as twice:
        propose_admission(s, world.actor("reviewer"), person.id, inst.id, "chosen", at(2026, 4, 1))
    assert "已有办理中" in twice.value.fields["member_id"]


def test_institution_records_are_checked_field_by_field_and_logged(world: World) -> None:
    s = world.session
    bad = institution_form(
        world,
        name="",
        licensed_beds="-1",
        capacity_full="9",
        phone="12345",
        bank_name="不存在银行",
        bank_account="12",
    )
    with pytest.raises(PayloadInvalid) as refused:
        save_institution(s, world.actor("admin"), bad, at(2026, 3, 1))
    assert {"name", "licensed_beds", "phone", "bank_name", "bank_account"} <= set(
        refused.value.fields
    )
    with pytest.raises(PermissionDenied):
        save_institution(s, world.actor("reviewer"), institution_form(world), at(2026, 3, 1))
    inst = make_institution(world)
    with pytest.raises(PayloadInvalid) as dup:
        save_institution(s, world.actor("admin"), institution_form(world), at(2026, 3, 1))
    assert "同名" in dup.value.fields["name"]
    _, person = tekun_person(world)
    admit(world, person, inst, 2, at(2026, 4, 1))
    with pytest.raises(PayloadInvalid) as fewer:
        save_institution(
            s,
            world.actor("admin"),
            institution_form(world, licensed_beds=1, capacity_self_care=1, capacity_partial=1),
            at(2026, 4, 2),
            inst.id,
        )
    assert "第 2 号床位" in fewer.value.fields["licensed_beds"]
    save_institution(
        s, world.actor("admin"), institution_form(world, licensed_beds=5), at(2026, 4, 2), inst.id
    )
    actions = s.scalars(select(AdminEvent.action).order_by(AdminEvent.id)).all()
    assert actions[-2:] == ["institution_created", "institution_changed"]


def test_demo_district_has_institutions_residents_and_waiting_admissions(session: Session) -> None:
    from caseflow.seed.demo import seed_demo

    seed_demo(session, households=40, now=at(2026, 11, 20))
    assert session.scalar(select(func.count()).select_from(Institution)) == 3
    states = sorted(session.scalars(select(Case.state).where(Case.case_type == "admission")).all())
    assert {"in_care", "awaiting_institution"} <= set(states)
    paid = session.scalars(select(RollRow).where(RollRow.institution_id.is_not(None))).all()
    assert paid and all(r.bank_account.startswith("62284800001") for r in paid)


def test_a_review_of_a_resident_keeps_paying_the_institution(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world)
    inst = make_institution(world)
    admit(world, person, inst, 1, at(2026, 4, 1))
    walker = Walker(world, at(2026, 6, 1, 9))
    assert tekun.household_id is not None
    rev = open_case(s, "review", tekun.household_id, world.actor("reviewer"), walker.tick())
    for t in shortest_path(registry().workflow("review"), "township_review"):
        walker.step(rev, t)
    payload = {"reason": "自理能力复核", "covered_members": [person.id], "aid_class": "A"}
    fire(s, rev.id, "propose_adjustment", world.actor("reviewer"), walker.tick(), payload)
    fire(s, rev.id, "approve_adjustment", world.actor("approver"), at(2026, 6, 20))
    version = latest(s, tekun.id)
    assert version is not None and version.trigger == "approve_adjustment"
    assert (version.basis["institution_id"], version.basis["setting"]) == (inst.id, "centralised")


def test_two_writers_confirming_one_bed_at_once_book_it_once(engine: Engine, world: World) -> None:
    """Two townships' staff record the same bed for two people at the same moment: one booking
    is kept, the other refused with a Chinese reason, one live row."""
    inst = make_institution(world)
    _, first = tekun_person(world)
    _, second = tekun_person(world)
    s, reviewer = world.session, world.actor("reviewer")
    cases = [
        propose_admission(s, reviewer, p.id, inst.id, "chosen", at(2026, 4, 1)).id
        for p in (first, second)
    ]
    factory = make_session_factory(engine)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(case_id: int, who: str) -> None:
        with factory() as session:
            barrier.wait()
            try:
                payload = {"bed_no": 1, "confirmed_by": "李院长"}
                fire(session, case_id, "confirm_bed", world.actor(who), at(2026, 4, 2), payload)
                outcomes.append("ok")
            except (GuardFailed, ConcurrencyConflict) as exc:
                assert "床位" in exc.message_zh or "稍后" in exc.message_zh
                outcomes.append("refused")

    threads = [
        threading.Thread(target=attempt, args=(cid, who))
        for cid, who in zip(cases, ("reviewer", "leader"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert _live_beds(s, inst.id) == [1]


def test_a_removal_of_a_resident_ends_the_residence_and_frees_the_bed(world: World) -> None:
    s = world.session
    tekun, person = tekun_person(world)
    inst = make_institution(world)
    case = admit(world, person, inst, 1, at(2026, 4, 1))
    assert tekun.household_id is not None
    removal = walk_on(
        world, Walker(world, at(2026, 5, 1, 9)), "removal", tekun.household_id, "removal_notice"
    )
    s.refresh(case)
    assert case.state == "support_ended" and case.is_final
    assert _live_beds(s, inst.id) == []
    ended = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert ended is not None and ended.payload == {"removal_case_no": removal.case_no}


def test_a_residence_is_in_nobodys_queue_but_an_admission_under_way_is() -> None:
    for roles in (["township_reviewer"], ["district_approver"], ["township_leader"]):
        assert ("admission", "in_care") not in actionable_pairs(roles)
    assert ("admission", "proposed") in actionable_pairs(["township_reviewer"])
    assert ("admission", "district_review") in actionable_pairs(["district_approver"])
    assert ("admission", "discharge_review") in actionable_pairs(["district_approver"])


def test_the_cli_prints_occupancy_and_priority_within_the_users_reach(
    engine: Engine, world: World
) -> None:
    inst = make_institution(world)
    _, resident = tekun_person(world)
    _, waiting = tekun_person(world)
    admit(world, resident, inst, 1, at(2026, 4, 1))
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": url})
        return result.exit_code, result.output

    code, out = run("institutions", "occupancy", "--user", "reviewer")
    assert code == 0, out
    assert "滨河镇敬老院（滨河镇）：核定 2 张，已入住 1，已预留 0，空余 1" in out
    assert "半失能 1/2" in out
    code, out = run("institutions", "priority", "--user", "reviewer")
    assert code == 0 and f"{waiting.name}（示例村，半失能）：尚未申请集中供养" in out
    code, out = run("institutions", "priority", "--user", "other_reviewer")
    assert code == 0 and "没有正在分散供养的失能、半失能特困人员" in out
    code, out = run("institutions", "occupancy", "--user", "nobody")
    assert code == 1 and "用户不存在或已停用：nobody" in out
