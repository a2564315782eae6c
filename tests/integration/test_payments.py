"""The monthly payment roll: month boundaries, removals, gradual exit, one-offs, adjustments,
提标, risk checks, sign-off and immutability, bank export — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from payments_support import TOWNSHIP, approve, at, sign, walk_on
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from support import World
from walker import Walker

from caseflow.db.models import (
    AdminEvent,
    Case,
    CaseEvent,
    Member,
    PersonalDataView,
    RosterImport,
    RosterRow,
)
from caseflow.engine.audit import verify_chains
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.errors import (
    CaseflowError,
    GuardFailed,
    PayloadInvalid,
    PermissionDenied,
    TransitionNotAllowed,
)
from caseflow.payments.adjustments import add_adjustment
from caseflow.payments.entitlement import lines_for
from caseflow.payments.export import export_roll
from caseflow.payments.hooks import RollSigned
from caseflow.payments.models import (
    ADJUSTMENT,
    ADVANCE,
    CORRECTION,
    GRADUAL,
    MONTHLY,
    ONE_OFF,
    Entitlement,
    PaymentRoll,
    RiskFinding,
    RollRow,
)
from caseflow.payments.queries import roll_totals
from caseflow.payments.reconcile import reconcile
from caseflow.payments.rise import approve_rise_list, rise_list
from caseflow.payments.roll import prepare_roll
from caseflow.policy.store import policy_table
from caseflow.workflow.registry import registry


def remove(world: World, hh_id: int, when: datetime, trigger: str, **payload: Any) -> Case:
    """A removal of the household decided at `when` (`approve_removal` or gradual exit)."""
    walker = Walker(world, at(2026, 4, 1, 9))
    case = walk_on(world, walker, "removal", hh_id, "district_review")
    t = registry().workflow("removal").transition_for("district_review", trigger)
    assert t is not None
    walker.prepare(case, t)  # 渐退: wages that lifted the household over the standard
    fire(world.session, case.id, trigger, world.actor("approver"), when, payload)
    return case


def months_paid(world: World, case: Case, months: list[str]) -> dict[str, tuple[str, int]]:
    """Kind and amount of the case's line in each month where it is paid."""
    rs = registry().rulesets
    township = world.township
    out = {}
    for m in months:
        for line in lines_for(world.session, township.path, township.id, m, rs, 3):
            if line.case_id == case.id:
                out[m] = (line.kind, line.amount_fen)
    return out


def prepare(world: World, month: str, when: datetime | None = None) -> PaymentRoll:
    world.session.rollback()
    return prepare_roll(
        world.session, world.actor("reviewer"), TOWNSHIP, month, when or at(2026, 12, 1)
    )


def rows(world: World, roll: PaymentRoll) -> list[RollRow]:
    world.session.expire_all()
    return list(
        world.session.scalars(
            select(RollRow)
            .where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
            .order_by(RollRow.id)
        )
    )


# ------------------------------------------------------------------ month boundaries


def test_payment_starts_the_month_after_approval_on_the_local_calendar(world: World) -> None:
    late_evening = approve(world, at(2026, 3, 31, 23, 30))  # still March in Ningxia
    after_midnight = approve(world, at(2026, 4, 1, 0, 30))  # 16:30 UTC on March 31
    assert after_midnight.closed_at is not None and after_midnight.closed_at.day == 31
    months = ["2026-03", "2026-04", "2026-05"]
    assert sorted(months_paid(world, late_evening, months)) == ["2026-04", "2026-05"]
    assert sorted(months_paid(world, after_midnight, months)) == ["2026-05"]
    april = prepare(world, "2026-04")
    assert {r.case_id for r in rows(world, april)} == {late_evening.id}


def test_removal_mid_month_stops_payment_from_the_next_month(world: World) -> None:
    case = approve(world, at(2026, 3, 10))
    assert case.household_id is not None
    remove(
        world,
        case.household_id,
        at(2026, 5, 15),
        "approve_removal",
        reasons="收入超标",
        effective_month="2026-05",
    )  # an earlier month than allowed is ignored
    paid = months_paid(world, case, ["2026-04", "2026-05", "2026-06", "2026-07"])
    assert sorted(paid) == ["2026-04", "2026-05"]


def test_removal_may_name_a_later_stop_month(world: World) -> None:
    case = approve(world, at(2026, 3, 10))
    assert case.household_id is not None
    remove(
        world,
        case.household_id,
        at(2026, 5, 15),
        "approve_removal",
        reasons="迁出",
        effective_month="2026-08",
    )
    paid = months_paid(world, case, ["2026-06", "2026-07", "2026-08"])
    assert sorted(paid) == ["2026-06", "2026-07"]


def test_gradual_exit_pays_the_granted_months_within_the_dated_policy(world: World) -> None:
    case = approve(world, at(2026, 3, 10), amount=25000)
    assert case.household_id is not None
    rs = registry().rulesets[case.ruleset_key]
    policy = policy_table(world.session, "640502").in_force(at(2026, 5, 15).date())
    assert policy.gradual_exit_max_months == 6  # dated policy (民发〔2022〕83号 一(三))
    with pytest.raises(GuardFailed, match="6"):  # longer than the policy allows: refused
        remove(
            world,
            case.household_id,
            at(2026, 5, 15),
            "approve_gradual_exit",
            months=9,
            reasons="务工",
        )
    remove(
        world,
        case.household_id,
        at(2026, 5, 15),
        "approve_gradual_exit",
        months=6,
        reasons="务工收入增加",
    )
    months = ["2026-05", "2026-06", "2026-11", "2026-12"]
    paid = months_paid(world, case, months)
    assert paid["2026-05"] == (MONTHLY, 25000)
    percent = int(rs.params["gradual_exit_amount_percent"])
    assert paid["2026-06"] == paid["2026-11"] == (GRADUAL, 25000 * percent // 100)
    assert "2026-12" not in paid  # the 6 months granted, then nothing


def test_gradual_exit_ended_early_stops_the_month_after(world: World) -> None:
    case = approve(world, at(2026, 3, 10))
    assert case.household_id is not None
    removal = remove(
        world, case.household_id, at(2026, 5, 15), "approve_gradual_exit", months=4, reasons="务工"
    )
    fire(world.session, removal.id, "end_gradual_exit", world.actor("reviewer"), at(2026, 7, 3))
    paid = months_paid(world, case, ["2026-07", "2026-08", "2026-09"])
    assert sorted(paid) == ["2026-07"]


# ------------------------------------------------------------------ one-off payments


def test_temporary_assistance_is_paid_once_and_the_advance_is_listed_not_repaid(
    world: World,
) -> None:
    s = world.session
    walker = Walker(world, at(2026, 5, 2, 9))
    hh = world.household()
    case = open_case(s, "temporary", hh.id, world.actor("clerk"), walker.tick(), summary="火灾")
    fire(
        s,
        case.id,
        "declare_emergency",
        world.actor("clerk"),
        walker.tick(),
        {"emergency_kind": "急难型", "situation": "房屋失火"},
    )
    fire(
        s,
        case.id,
        "grant_advance_aid",
        world.actor("reviewer"),
        at(2026, 5, 3),
        {"amount_fen": 30000, "paid_on": "2026-05-03"},
    )
    fire(
        s,
        case.id,
        "complete_paperwork",
        world.actor("clerk"),
        at(2026, 5, 6),
        {"summary": "补齐", "emergency_kind": "急难型", "cause": "因灾", "amount_fen": 80000},
    )
    fire(
        s,
        case.id,
        "township_approve",
        world.actor("leader"),
        at(2026, 5, 10),
        {"amount_fen": 80000},
    )
    normal = Walker(world, at(2026, 5, 4, 9)).to_state(registry().workflow("temporary"), "approved")
    may = prepare(world, "2026-05")
    got = {(r.case_id, r.kind): (r.amount_fen, r.pay_by_bank) for r in rows(world, may)}
    assert got[(case.id, ADVANCE)] == (30000, False)
    assert got[(case.id, ONE_OFF)] == (50000, True)  # approved amount less the advance
    assert (normal.id, ONE_OFF) in got
    june = prepare(world, "2026-06")
    assert not [r for r in rows(world, june) if r.case_type == "temporary"]


def test_signing_the_roll_records_its_temporary_assistance_as_paid(world: World) -> None:
    s = world.session
    temporary = registry().workflow("temporary")
    paid = Walker(world, at(2026, 5, 4, 9)).to_state(temporary, "approved")
    left_out = Walker(world, at(2026, 5, 5, 9)).to_state(temporary, "approved")
    roll = prepare(world, "2026-05")
    out_row = s.scalar(
        select(RollRow.id).where(RollRow.roll_id == roll.id, RollRow.case_id == left_out.id)
    )
    assert out_row is not None
    sign(world, roll, at(2026, 6, 3, 15), remove={out_row: "户籍迁出，待核实"})
    s.expire_all()
    assert s.get(Case, paid.id).state == "paid"  # type: ignore[union-attr]
    assert s.get(Case, left_out.id).state == "approved"  # type: ignore[union-attr]
    event = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == paid.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert event is not None and event.trigger == "record_payment"
    assert event.payload["paid_on"] == "2026-06-03"
    assert event.actor_id == world.users["finance"].id
    assert not list(verify_chains(s))


# ------------------------------------------------------------------ totals and workflow


def test_roll_total_is_the_sum_of_rows_and_of_the_amounts_on_the_cases(world: World) -> None:
    cases = [approve(world, at(2026, 3, 10 + i), amount=20000 + 1000 * i) for i in range(3)]
    roll = prepare(world, "2026-04")
    live = rows(world, roll)
    assert roll.row_count == len(live) == 3
    assert (
        roll.total_fen
        == sum(r.amount_fen for r in live)
        == roll_totals(world.session, roll.id).total_fen
    )
    entitled = world.session.scalars(
        select(Entitlement.amount_fen).where(Entitlement.case_id.in_([c.id for c in cases]))
    ).all()
    assert roll.total_fen == sum(entitled) == 63000
    case = world.session.get(Case, roll.case_id)
    assert case is not None and case.household_id is None and case.state == "prepared"
    assert case.case_no.startswith("FF-640502100-")


def test_preparer_cannot_check_and_others_cannot_prepare(world: World) -> None:
    approve(world, at(2026, 3, 10))
    with pytest.raises(PermissionDenied):
        prepare_roll(world.session, world.actor("clerk"), TOWNSHIP, "2026-04", at(2026, 4, 1))
    with pytest.raises(PayloadInvalid):  # outside the reviewer's township: no such township
        prepare_roll(
            world.session, world.actor("other_reviewer"), TOWNSHIP, "2026-04", at(2026, 4, 1)
        )
    with pytest.raises(PayloadInvalid) as bad:
        prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, "2026-13", at(2026, 4, 1))
    assert "month" in bad.value.fields
    leader_roll = prepare_roll(
        world.session, world.actor("leader"), TOWNSHIP, "2026-04", at(2026, 4, 1)
    )
    with pytest.raises(PermissionDenied):
        fire(world.session, leader_roll.case_id, "check", world.actor("leader"), at(2026, 4, 2))
    with pytest.raises(PayloadInvalid):  # one live roll per township and month
        prepare(world, "2026-04")


def test_household_workflows_only_open_on_households(world: World) -> None:
    hh = world.household()
    with pytest.raises(PermissionDenied):
        open_case(world.session, "roll", hh.id, world.actor("reviewer"), at(2026, 4, 1))


def test_sign_off_waits_for_findings_and_a_removal_after_the_check_needs_a_new_check(
    world: World,
) -> None:
    s = world.session
    approve(world, at(2026, 3, 10), amount=500)  # below the rule set's monthly minimum
    approve(world, at(2026, 3, 11), amount=20000)
    roll = prepare(world, "2026-04")
    findings = s.scalars(select(RiskFinding).where(RiskFinding.roll_id == roll.id)).all()
    assert [f.check for f in findings] == ["amount_bounds"]
    s.rollback()
    fire(s, roll.case_id, "check", world.actor("leader"), at(2026, 4, 2))
    with pytest.raises(GuardFailed) as refused:
        fire(s, roll.case_id, "sign", world.actor("finance"), at(2026, 4, 3))
    assert "1 条风险提示未确认" in refused.value.message_zh
    bad_row = findings[0].row_id
    fire(
        s,
        roll.case_id,
        "remove_row",
        world.actor("finance"),
        at(2026, 4, 3),
        {"row_id": bad_row, "reason": "金额有误，核实后下月补发"},
    )
    s.expire_all()
    roll = s.get(PaymentRoll, roll.id)  # type: ignore[assignment]
    assert roll.row_count == 1 and roll.total_fen == 20000
    # The roll changed after the leader's check: back to the township for a new check.
    assert s.get(Case, roll.case_id).state == "prepared"  # type: ignore[union-attr]
    with pytest.raises(TransitionNotAllowed):
        fire(s, roll.case_id, "sign", world.actor("finance"), at(2026, 4, 3))
    s.rollback()
    fire(s, roll.case_id, "check", world.actor("leader"), at(2026, 4, 3))
    fire(s, roll.case_id, "sign", world.actor("finance"), at(2026, 4, 3))
    s.expire_all()
    assert s.get(PaymentRoll, roll.id).signed_at is not None  # type: ignore[union-attr]
    triggers = s.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == roll.case_id).order_by(CaseEvent.seq)
    ).all()
    assert triggers == ["open", "check", "remove_row", "check", "sign"]


def test_acknowledging_a_finding_is_an_audited_event(world: World) -> None:
    s = world.session
    approve(world, at(2026, 3, 10), amount=500)
    roll = prepare(world, "2026-04")
    finding = s.scalars(select(RiskFinding).where(RiskFinding.roll_id == roll.id)).one()
    s.rollback()
    fire(s, roll.case_id, "check", world.actor("leader"), at(2026, 4, 2))
    with pytest.raises(PermissionDenied):  # only the signer acknowledges
        fire(
            s,
            roll.case_id,
            "acknowledge_finding",
            world.actor("leader"),
            at(2026, 4, 2),
            {"finding_id": finding.id, "note": "x"},
        )
    fire(
        s,
        roll.case_id,
        "acknowledge_finding",
        world.actor("finance"),
        at(2026, 4, 3),
        {"finding_id": finding.id, "note": "低保对象本人确认，金额系按差额计算"},
    )
    with pytest.raises(GuardFailed):  # not twice
        fire(
            s,
            roll.case_id,
            "acknowledge_finding",
            world.actor("finance"),
            at(2026, 4, 3),
            {"finding_id": finding.id, "note": "again"},
        )
    event = s.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == roll.case_id, CaseEvent.trigger == "acknowledge_finding"
        )
    ).one()
    assert event.payload["finding_id"] == finding.id and event.actor_role == "district_finance"
    s.expire_all()
    assert s.get(RiskFinding, finding.id).acknowledged_by_id == world.users["finance"].id  # type: ignore[union-attr]
    fire(s, roll.case_id, "sign", world.actor("finance"), at(2026, 4, 3))


# ------------------------------------------------------------------ immutability, adjustments


def test_a_signed_roll_is_immutable_in_code_and_in_the_database(world: World) -> None:
    s = world.session
    approve(world, at(2026, 3, 10), amount=500)  # a finding, acknowledged before sign-off
    roll = prepare(world, "2026-04")
    sign(world, roll, at(2026, 4, 3))
    row = rows(world, roll)[0]
    original = row.amount_fen
    row.amount_fen += 100
    with pytest.raises(RollSigned):
        s.flush()
    s.rollback()
    for statement in (
        "UPDATE roll_rows SET amount_fen = amount_fen + 1 WHERE roll_id = :r",
        "DELETE FROM roll_rows WHERE roll_id = :r",
        "UPDATE payment_rolls SET total_fen = 0 WHERE id = :r",
        "DELETE FROM risk_findings WHERE roll_id = :r",
    ):
        with pytest.raises(DBAPIError, match="immutable"):
            s.execute(text(statement), {"r": roll.id})
        s.rollback()
    with pytest.raises(DBAPIError, match="immutable"):
        s.execute(
            text(
                "INSERT INTO roll_rows (roll_id, household_id, case_type, kind, for_month, "
                "amount_fen, payee_name, id_number, bank_account, pay_by_bank, note, "
                "removed_reason) VALUES (:r, :h, 'dibao', 'monthly', '2026-04', 1, 'x', '', '', "
                "true, '', '')"
            ),
            {"r": roll.id, "h": row.household_id},
        )
    s.rollback()
    with pytest.raises(TransitionNotAllowed):
        fire(
            s,
            roll.case_id,
            "remove_row",
            world.actor("finance"),
            at(2026, 4, 4),
            {"row_id": row.id, "reason": "x"},
        )
    with pytest.raises(PayloadInvalid):
        prepare(world, "2026-04")
    assert rows(world, roll)[0].amount_fen == original


def test_corrections_are_adjustments_in_a_later_roll(world: World) -> None:
    s = world.session
    case = approve(world, at(2026, 3, 10), amount=20000)
    assert case.household_id is not None
    april = prepare(world, "2026-04")
    sign(world, april, at(2026, 4, 3))
    with pytest.raises(PayloadInvalid) as bad:
        add_adjustment(
            s,
            world.actor("finance"),
            household_id=case.household_id,
            case_id=case.id,
            for_month="四月",
            amount_fen=0,
            reason="",
            now=at(2026, 4, 20),
        )
    assert set(bad.value.fields) == {"for_month", "amount", "reason"}
    with pytest.raises(PermissionDenied):
        add_adjustment(
            s,
            world.actor("clerk"),
            household_id=case.household_id,
            case_id=case.id,
            for_month="2026-04",
            amount_fen=3000,
            reason="x",
            now=at(2026, 4, 20),
        )
    add_adjustment(
        s,
        world.actor("finance"),
        household_id=case.household_id,
        case_id=case.id,
        for_month="2026-04",
        amount_fen=3000,
        reason="四月少发护理补贴",
        now=at(2026, 4, 20),
    )
    assert s.scalar(select(AdminEvent.action).order_by(AdminEvent.id.desc())) == (
        "payment_adjustment"
    )
    may = prepare(world, "2026-05")
    got = sorted((r.kind, r.for_month, r.amount_fen) for r in rows(world, may))
    assert got == [(ADJUSTMENT, "2026-04", 3000), (MONTHLY, "2026-05", 20000)]
    assert may.total_fen == 23000
    s.rollback()
    fire(s, may.case_id, "cancel", world.actor("reviewer"), at(2026, 5, 2), {"reason": "重做"})
    again = prepare(world, "2026-05")  # a cancelled roll frees the month and the adjustment
    assert again.total_fen == 23000
    assert sum(r.amount_fen for r in rows(world, april)) == 20000  # the signed roll unchanged


def test_standard_rise_flows_into_the_next_roll_with_back_pay(world: World) -> None:
    s = world.session
    case = approve(world, at(2026, 3, 10), amount=10000)
    april = prepare(world, "2026-04")
    sign(world, april, at(2026, 4, 3))
    rise = rise_list(s, "640502", date(2026, 1, 1))
    change = next(i for i in rise.items if i.case_no == case.case_no)
    with pytest.raises(PermissionDenied):
        approve_rise_list(s, world.actor("finance"), "640502", date(2026, 1, 1), at(2026, 4, 20))
    n = approve_rise_list(s, world.actor("approver"), "640502", date(2026, 1, 1), at(2026, 4, 20))
    assert n >= 1
    with pytest.raises(PayloadInvalid):
        approve_rise_list(s, world.actor("approver"), "640502", date(2026, 1, 1), at(2026, 4, 21))
    may = prepare(world, "2026-05")
    got = {(r.kind, r.for_month): r.amount_fen for r in rows(world, may) if r.case_id == case.id}
    assert got[(MONTHLY, "2026-05")] == change.new_fen
    # The month paid at the old amount comes back as a correction from the history.
    assert got[(CORRECTION, "2026-04")] == change.new_fen - 10000
    assert reconcile(s, world.actor("finance"), "2026-05").differences == []


# ------------------------------------------------------------------ risk checks


def _findings(world: World, roll: PaymentRoll) -> dict[str, set[int | None]]:
    out: dict[str, set[int | None]] = {}
    for f in world.session.scalars(select(RiskFinding).where(RiskFinding.roll_id == roll.id)):
        out.setdefault(f.check, set()).add(f.household_id)
    return out


def test_every_risk_check_is_triggered_by_its_constructed_case(world: World) -> None:
    s = world.session
    clean = approve(world, at(2026, 3, 10))
    shared_a = approve(world, at(2026, 3, 10), account="6222000000009999")
    shared_b = approve(world, at(2026, 3, 10), account="6222000000009999")
    twice = approve(world, at(2026, 3, 10))
    other = approve(world, at(2026, 3, 10))
    # An elderly head: eligible for 特困 as well, the two programmes that exclude each other.
    elderly = world.household(head_born=date(1950, 5, 1))
    both = approve(world, at(2026, 3, 10), hh_id=elderly.id)
    assert both.household_id is not None
    approve(world, at(2026, 3, 11), key="tekun", hh_id=both.household_id)
    dead = approve(world, at(2026, 3, 10))
    low = approve(world, at(2026, 3, 10), amount=900)
    relative = approve(world, at(2026, 3, 10))
    # A member of `other` is also registered in `twice`'s household.
    person = s.scalars(select(Member).where(Member.household_id == other.household_id)).first()
    assert person is not None and twice.household_id is not None
    s.add(
        Member(
            household_id=twice.household_id,
            name=person.name,
            relation="其他",
            sex="M",
            birth_date=person.birth_date,
            id_number=person.id_number,
        )
    )
    head = s.scalars(select(Member).where(Member.household_id == dead.household_id)).first()
    assert head is not None
    imp = RosterImport(
        kind="deaths",
        file_name="死亡名单-2026-03.xlsx",
        sha256="0" * 64,
        imported_at=at(2026, 3, 20),
        rows_total=1,
        rows_imported=1,
        status="complete",
    )
    s.add(imp)
    s.flush()
    s.add(
        RosterRow(
            import_id=imp.id, row_no=2, household_key="k", id_number=head.id_number, name=head.name
        )
    )
    # The relative was declared after approval: no district home visit is on record.
    s.execute(update(Case).where(Case.id == relative.id).values(flag_staff_relative=True))
    s.commit()
    roll = prepare(world, "2026-04")
    found = _findings(world, roll)
    assert found["shared_account"] == {shared_a.household_id, shared_b.household_id}
    assert {twice.household_id, other.household_id} <= found["two_households"]
    assert found["dibao_and_tekun"] == {both.household_id}
    assert found["external_list"] == {dead.household_id}
    assert found["amount_bounds"] == {low.household_id}
    assert found["staff_relative_visit"] == {relative.household_id}
    flagged = set().union(*found.values())
    assert clean.household_id not in flagged


# ------------------------------------------------------------------ bank export


def test_bank_export_is_for_finance_only_and_logged(world: World) -> None:
    s = world.session
    cases = [approve(world, at(2026, 3, 10), amount=20000 + i) for i in range(3)]
    roll = prepare(world, "2026-04")
    with pytest.raises(CaseflowError, match="签发后"):  # not before sign-off
        export_roll(s, world.actor("finance"), roll.id, "csv", at(2026, 4, 2))
    sign(world, roll, at(2026, 4, 3))
    for who in ("reviewer", "leader", "approver", "supervisor", "clerk"):
        with pytest.raises(PermissionDenied):
            export_roll(s, world.actor(who), roll.id, "csv", at(2026, 4, 4))
    views_before = s.scalar(select(func.count()).select_from(PersonalDataView))
    out = export_roll(s, world.actor("finance"), roll.id, "csv", at(2026, 4, 4))
    lines = list(csv.reader(io.StringIO(out.data.decode("utf-8-sig"))))
    assert lines[0] == ["序号", "姓名", "身份证号", "银行账号", "金额（元）"]
    body, footer = lines[1:-1], lines[-1]
    assert len(body) == 3 == out.count
    assert footer == ["合计", "3 笔", "", "", "600.03"] and out.total_fen == 60003
    heads = {
        m.id_number
        for m in s.scalars(
            select(Member).where(
                Member.household_id.in_([c.household_id for c in cases]), Member.relation == "户主"
            )
        )
    }
    assert {b[2] for b in body} == heads  # full ID numbers, not masked
    xlsx = export_roll(s, world.actor("finance"), roll.id, "xlsx", at(2026, 4, 4))
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][0] == "合计" and values[-1][4] == "600.03" and len(values) == 5
    assert {v[2] for v in values[1:-1]} == heads
    logged = s.scalars(
        select(AdminEvent).where(AdminEvent.action == "roll_export").order_by(AdminEvent.id)
    ).all()
    assert [e.payload["format"] for e in logged] == ["csv", "xlsx"]
    assert (
        logged[0].payload["total_fen"] == 60003 and logged[0].actor_id == world.users["finance"].id
    )
    views_after = s.scalar(select(func.count()).select_from(PersonalDataView))
    assert views_after == (views_before or 0) + 4  # ID numbers and accounts, per export


def test_bank_file_nets_adjustments_and_leaves_out_the_advance(
    world: World, session: Session
) -> None:
    case = approve(world, at(2026, 3, 10), amount=20000)
    assert case.household_id is not None
    april = prepare(world, "2026-04")
    sign(world, april, at(2026, 4, 3))
    add_adjustment(
        session,
        world.actor("finance"),
        household_id=case.household_id,
        case_id=case.id,
        for_month="2026-04",
        amount_fen=-5000,
        reason="多发扣回",
        now=at(2026, 4, 20),
    )
    may = prepare(world, "2026-05")
    sign(world, may, at(2026, 5, 3))
    out = export_roll(session, world.actor("finance"), may.id, "csv", at(2026, 5, 4))
    assert (out.count, out.total_fen) == (1, 15000)
