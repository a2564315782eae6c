"""Policy scenario table, part 2: the rules inside the cases, the entitlement and the roll.

Each row is a scenario of issue 15 walked through `fire` (and, for back pay, the monthly roll)
on SQLite and PostgreSQL, with a Chinese description (the test id), the rule it cites (from
research/law-notes.md; 待核实 where the notes say so), the expected outcome and the expected
amount in fen: the monthly entitlement in force, the back pay of a 提标, the assistance decided,
or 0 where nothing is payable (a refusal, a case still running). Refusals also prove that
nothing was written (state, version, events and deadlines unchanged). Part 1, the pure rule
layer, is tests/unit/policy/test_scenarios.py.

Figures: the example policy (seed/policy/640502-example.yaml): 低保 standard 560.00 元 in 2026,
重残 top-up 100.00 元, 特困 basic 728.00 元 (1.3 ×), care 200.00 / 600.00 / 1,200.00 元,
先行救助 at most 1 month's standard × household size and 3,000.00 元, township ceiling 2,000.00 元.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from payments_support import TOWNSHIP, approve, at, walk_on
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import World
from walker import Walker, shortest_path

from caseflow import SEED_DIR
from caseflow.casework.assessments import latest_assessment
from caseflow.db.models import (
    Case,
    CaseEvent,
    Deadline,
    Household,
    Member,
    MemberIncome,
    Notification,
)
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import CaseflowError, GuardFailed, PayloadInvalid
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.payments.entitlement import lines_for
from caseflow.payments.models import (
    ADVANCE,
    CORRECTION,
    MONTHLY,
    ONE_OFF,
    Entitlement,
    PaymentRoll,
    RiskFinding,
    RollRow,
)
from caseflow.payments.months import month_of
from caseflow.payments.rise import approve_rise_list
from caseflow.payments.roll import prepare_roll
from caseflow.policy.store import enter_policy
from caseflow.workflow.registry import registry

Outcome = tuple[str, int, str]  # outcome, amount in fen, what was said (explanation / error)


@dataclass(frozen=True)
class Scenario:
    description: str
    basis: str
    run: Callable[[World], Outcome]
    outcome: str
    fen: int
    says: str = ""


# --------------------------------------------------------------------------- building blocks

ADULT = date(1980, 5, 1)
OLD = date(1950, 1, 1)


def home(world: World, *people: dict[str, Any]) -> Household:
    """A household of the given members (the first is the head): born, wages, grade, dtype,
    health, income (a list of (category, fen))."""
    s = world.session
    hh = Household(
        org_unit_id=world.village.id,
        org_path=world.village.path,
        head_name="张",
        address="滨河镇示例村",
        created_at=at(2026, 1, 5),
        bank_account="6228480000009999",
    )
    s.add(hh)
    s.flush()
    for i, spec in enumerate(people):
        born = spec.get("born", ADULT)
        grade = spec.get("grade")
        member = Member(
            household_id=hh.id,
            name=spec.get("name", f"成员{i}"),
            relation="户主" if i == 0 else "子女",
            sex="M",
            birth_date=born,
            id_number=make_id_number("640502", born, hh.id * 10 + 2 * i + 1),
            labour_capacity="none" if grade in (1, 2) else "full",
            health=spec.get("health", "healthy"),
            disability_grade=grade,
            disability_type=spec.get("dtype"),
            is_student=bool(spec.get("student")),
        )
        s.add(member)
        s.flush()
        incomes = list(spec.get("income", []))
        if spec.get("wages"):
            incomes.append(("wages", spec["wages"]))
        for source, fen in incomes:
            s.add(MemberIncome(member_id=member.id, source=source, monthly_fen=fen))
    s.commit()
    s.refresh(hh)
    return hh


def to_state(world: World, key: str, hh: Household, state: str, start: datetime) -> Case:
    return walk_on(world, Walker(world, start), key, hh.id, state)


def snapshot(session: Session, case_id: int) -> tuple[Any, ...]:
    """Everything a refused fire could have touched."""
    session.expire_all()
    case = session.get(Case, case_id)
    assert case is not None
    events = session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))
    deadlines = session.execute(
        select(Deadline.id, Deadline.closed_at, Deadline.due_at).where(Deadline.case_id == case_id)
    ).all()
    versions = session.scalar(
        select(func.count())
        .select_from(Entitlement)
        .where(Entitlement.household_id == case.household_id)
    )
    return case.state, case.version, events, tuple(deadlines), versions


def refused(
    world: World, case: Case, trigger: str, who: str, when: datetime, **payload: Any
) -> str:
    """Fire a transition that must be refused; prove nothing was written; the message."""
    before = snapshot(world.session, case.id)
    actor = SYSTEM_ACTOR if who == "system" else world.actor(who)
    with pytest.raises(CaseflowError) as err:
        fire(world.session, case.id, trigger, actor, when, payload)
    world.session.rollback()
    assert snapshot(world.session, case.id) == before
    assert isinstance(err.value, GuardFailed | PayloadInvalid)
    return err.value.message_zh


def amount_in(world: World, case: Case, month: str) -> int:
    world.session.rollback()
    history = entitlements.versions_of(world.session, [case.id]).get(case.id, [])
    return entitlements.amount_in(history, month)


def state_of(world: World, case: Case) -> str:
    world.session.expire_all()
    found = world.session.get(Case, case.id)
    assert found is not None
    return found.state


def roll_rows(world: World, month: str, when: datetime) -> list[RollRow]:
    world.session.rollback()
    roll = prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, month, when)
    world.session.expire_all()
    return list(
        world.session.scalars(
            select(RollRow).where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
        )
    )


def sign_roll(world: World, month: str, when: datetime) -> None:
    """Prepare, check, acknowledge every finding and sign the township's roll of `month`."""
    s = world.session
    s.rollback()
    roll = prepare_roll(s, world.actor("reviewer"), TOWNSHIP, month, when)
    fire(s, roll.case_id, "check", world.actor("leader"), when)
    for fid in s.scalars(select(RiskFinding.id).where(RiskFinding.roll_id == roll.id)).all():
        s.rollback()
        payload = {"finding_id": fid, "note": "已核实"}
        fire(s, roll.case_id, "acknowledge_finding", world.actor("finance"), when, payload)
    s.rollback()
    fire(s, roll.case_id, "sign", world.actor("finance"), when)
    s.rollback()
    assert s.scalar(select(PaymentRoll.id).where(PaymentRoll.id == roll.id)) is not None


def new_standard(world: World, effective: str, standard_fen: int) -> None:
    """Enter (as the admin) the example policy with a new 低保 standard from `effective`."""
    text = (SEED_DIR / "policy" / "640502-example.yaml").read_text(encoding="utf-8")
    text = text[: text.index("  - effective_from: 2026-01-01")]
    text = text.replace("2025-01-01", effective).replace(
        "dibao_standard_fen: 54000", f"dibao_standard_fen: {standard_fen}"
    )
    enter_policy(world.session, text, world.users["admin"].id, at(2026, 5, 20))


def _dibao(world: World, hh: Household, start: datetime, covered: list[int], cls: str) -> Case:
    case = to_state(world, "dibao", hh, "district_review", start)
    payload = {"covered_members": covered, "aid_class": cls}
    fire(
        world.session,
        case.id,
        "approve",
        world.actor("approver"),
        start + timedelta(days=8),
        payload,
    )
    return case


def _approved_in_march(world: World, *people: dict[str, Any]) -> tuple[Case, Household]:
    hh = home(world, *people)
    case = _dibao(world, hh, at(2026, 3, 2, 9), [m.id for m in hh.members], "A")
    return case, hh


def _removal(world: World, hh: Household) -> Case:
    return to_state(world, "removal", hh, "district_review", at(2026, 4, 1, 9))


def _add_income(world: World, hh: Household, source: str, fen: int) -> None:
    hh.members[0].incomes.append(MemberIncome(source=source, monthly_fen=fen))
    world.session.commit()


# --------------------------------------------------------------------------- 低保 approvals


def partial_coverage(world: World) -> Outcome:
    hh = home(world, {"wages": 60000}, {}, {})
    ids = [m.id for m in hh.members]
    case = _dibao(world, hh, at(2026, 3, 2, 9), ids[:2], "B")
    version = entitlements.latest(world.session, case.id)
    assert version is not None and version.covered_member_ids == sorted(ids[:2])
    return state_of(world, case), amount_in(world, case, "2026-04"), version.basis["explain"]


def first_month(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    payload = {"covered_members": [m.id for m in hh.members], "aid_class": "A"}
    fire(
        world.session, case.id, "approve", world.actor("approver"), at(2026, 3, 31, 23, 30), payload
    )
    march, april = amount_in(world, case, "2026-03"), amount_in(world, case, "2026-04")
    return f"3月{march}/4月起发放", april, ""


def single_person(world: World) -> Outcome:
    hh = home(world, {"wages": 120000}, {"grade": 1, "dtype": "physical", "name": "甲"})
    disabled = hh.members[1].id
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    payload = {"covered_members": [disabled], "aid_class": "A"}
    fire(world.session, case.id, "approve", world.actor("approver"), at(2026, 3, 10), payload)
    version = entitlements.latest(world.session, case.id)
    assert version is not None and version.covered_member_ids == [disabled]
    return state_of(world, case), amount_in(world, case, "2026-04"), version.basis["explain"]


def single_person_batch(world: World) -> Outcome:
    hh = home(world, {"wages": 120000}, {"grade": 1, "dtype": "physical", "name": "甲"})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    said = refused(world, case, "approve", "approver", at(2026, 3, 10))
    return state_of(world, case), amount_in(world, case, "2026-04"), said


def single_person_two(world: World) -> Outcome:
    hh = home(world, {"wages": 120000}, {"grade": 1, "dtype": "physical", "name": "甲"})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    said = refused(
        world, case, "approve", "approver", at(2026, 3, 10), covered_members=ids, aid_class="A"
    )
    return state_of(world, case), amount_in(world, case, "2026-04"), said


def excluded_income_approval(world: World) -> Outcome:
    hh = home(world, {"wages": 40000, "income": [("preferential", 80000)]}, {})
    case = _dibao(world, hh, at(2026, 3, 2, 9), [m.id for m in hh.members], "A")
    assessed = latest_assessment(world.session, case, "means_test")
    assert assessed is not None
    return state_of(world, case), amount_in(world, case, "2026-04"), assessed.result["explain"]


def ineligible_refused(world: World) -> Outcome:
    hh = home(world, {"wages": 120000}, {})  # per capita 600.00 元, nobody may be covered alone
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    said = refused(
        world, case, "approve", "approver", at(2026, 3, 10), covered_members=ids, aid_class="A"
    )
    return state_of(world, case), amount_in(world, case, "2026-04"), said


# --------------------------------------------------------------------------- deviations


def deviation(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    proposal = {"covered_members": ids, "aid_class": "A", "amount_fen": 100000, "reason": "核减"}
    fire(
        world.session,
        case.id,
        "propose_deviation",
        world.actor("approver"),
        at(2026, 3, 9),
        proposal,
    )
    fire(world.session, case.id, "confirm_deviation", world.actor("approver2"), at(2026, 3, 10))
    version = entitlements.latest(world.session, case.id)
    assert version is not None and version.computed_fen == 112000
    assert version.deviation_reason == "核减"
    return state_of(world, case), amount_in(world, case, "2026-04"), f"核定 {version.computed_fen}"


def deviation_without_reason(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    said = refused(
        world,
        case,
        "propose_deviation",
        "approver",
        at(2026, 3, 9),
        covered_members=ids,
        aid_class="A",
        amount_fen=100000,
    )
    return state_of(world, case), amount_in(world, case, "2026-04"), said


def deviation_same_amount(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    said = refused(
        world,
        case,
        "propose_deviation",
        "approver",
        at(2026, 3, 9),
        covered_members=ids,
        aid_class="A",
        amount_fen=112000,
        reason="同额",
    )
    return state_of(world, case), amount_in(world, case, "2026-04"), said


def deviation_same_approver(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "district_review", at(2026, 3, 2, 9))
    ids = [m.id for m in hh.members]
    proposal = {"covered_members": ids, "aid_class": "A", "amount_fen": 100000, "reason": "核减"}
    fire(
        world.session,
        case.id,
        "propose_deviation",
        world.actor("approver"),
        at(2026, 3, 9),
        proposal,
    )
    before = snapshot(world.session, case.id)
    with pytest.raises(CaseflowError) as err:
        fire(world.session, case.id, "confirm_deviation", world.actor("approver"), at(2026, 3, 10))
    world.session.rollback()
    assert snapshot(world.session, case.id) == before
    return state_of(world, case), amount_in(world, case, "2026-04"), err.value.message_zh


# --------------------------------------------------------------------------- reviews


def review(world: World, before_wages: int, after_wages: int) -> Outcome:
    case, hh = _approved_in_march(world, {"wages": before_wages}, {})
    first = amount_in(world, case, "2026-04")
    head = hh.members[0]
    head.incomes.clear()
    if after_wages:
        head.incomes.append(MemberIncome(source="wages", monthly_fen=after_wages))
    world.session.commit()
    walker = Walker(world, at(2026, 6, 1, 9))
    rev = open_case(world.session, "review", hh.id, world.actor("reviewer"), walker.tick())
    for t in shortest_path(registry().workflow("review"), "township_review"):
        walker.step(rev, t)
    ids = [m.id for m in hh.members]
    payload = {"aid_class": "A", "covered_members": ids, "reason": "收入变化"}
    fire(
        world.session, rev.id, "propose_adjustment", world.actor("reviewer"), walker.tick(), payload
    )
    fire(world.session, rev.id, "approve_adjustment", world.actor("approver"), at(2026, 6, 20))
    june, july = amount_in(world, case, "2026-06"), amount_in(world, case, "2026-07")
    assert june == first
    kind = "增发" if july > first else "减发"
    return f"复核{kind}", july, f"{first}→{july}"


# --------------------------------------------------------------------------- 提标


def rise_dibao(world: World) -> Outcome:
    case, _ = _approved_in_march(world, {}, {})
    sign_roll(world, "2026-04", at(2026, 4, 3))
    sign_roll(world, "2026-05", at(2026, 5, 3))
    new_standard(world, "2026-05-01", 60000)
    approve_rise_list(
        world.session, world.actor("approver"), "640502", date(2026, 5, 1), at(2026, 5, 25)
    )
    june = roll_rows(world, "2026-06", at(2026, 6, 1))
    got = {(r.kind, r.for_month): r.amount_fen for r in june if r.case_id == case.id}
    assert got[(MONTHLY, "2026-06")] == 120000
    return "提标补发", got[(CORRECTION, "2026-05")], str(got)


def rise_tekun(world: World) -> Outcome:
    case = approve(world, at(2026, 3, 10), key="tekun")
    before = amount_in(world, case, "2026-04")
    sign_roll(world, "2026-04", at(2026, 4, 3))
    sign_roll(world, "2026-05", at(2026, 5, 3))
    new_standard(world, "2026-05-01", 60000)
    approve_rise_list(
        world.session, world.actor("approver"), "640502", date(2026, 5, 1), at(2026, 5, 25)
    )
    june = roll_rows(world, "2026-06", at(2026, 6, 1))
    got = {(r.kind, r.for_month): r.amount_fen for r in june if r.case_id == case.id}
    assert got[(MONTHLY, "2026-06")] == before + (78000 - 72800)
    return "提标补发", got[(CORRECTION, "2026-05")], str(got)


# --------------------------------------------------------------------------- removal and 渐退


def removal_plain(world: World) -> Outcome:
    case, hh = _approved_in_march(world, {}, {})
    removal = _removal(world, hh)
    payload = {"reasons": "家庭成员死亡"}
    fire(
        world.session,
        removal.id,
        "approve_removal",
        world.actor("approver"),
        at(2026, 5, 15),
        payload,
    )
    may, june = amount_in(world, case, "2026-05"), amount_in(world, case, "2026-06")
    return f"5月{may}/6月起停发", june, ""


def gradual(world: World) -> Outcome:
    case, hh = _approved_in_march(world, {}, {})
    _add_income(world, hh, "wages", 200000)  # per capita 1,000.00 元, all of it from work
    removal = _removal(world, hh)
    payload = {"months": 3, "reasons": "务工收入超过标准"}
    fire(
        world.session,
        removal.id,
        "approve_gradual_exit",
        world.actor("approver"),
        at(2026, 5, 15),
        payload,
    )
    paid = [amount_in(world, case, m) for m in ("2026-06", "2026-07", "2026-08", "2026-09")]
    assert paid[3] == 0
    return f"渐退{sum(1 for a in paid if a)}个月", paid[2], str(paid)


def gradual_refused(world: World, source: str, fen: int, months: int = 3) -> Outcome:
    case, hh = _approved_in_march(world, {}, {})
    _add_income(world, hh, source, fen)
    removal = _removal(world, hh)
    said = refused(
        world,
        removal,
        "approve_gradual_exit",
        "approver",
        at(2026, 5, 15),
        months=months,
        reasons="收入增加",
    )
    return state_of(world, removal), amount_in(world, case, "2026-06"), said


def gradual_tekun_only(world: World) -> Outcome:
    case = approve(world, at(2026, 3, 10), key="tekun")
    hh = world.session.get(Household, case.household_id)
    assert hh is not None
    _add_income(world, hh, "wages", 200000)
    removal = _removal(world, hh)
    said = refused(
        world, removal, "approve_gradual_exit", "approver", at(2026, 5, 15), months=2, reasons="x"
    )
    return state_of(world, removal), amount_in(world, case, "2026-06"), said


# --------------------------------------------------------------------------- 特困


def tekun_case(world: World, *people: dict[str, Any]) -> Case:
    hh = home(world, *people)
    return to_state(world, "tekun", hh, "district_review", at(2026, 3, 2, 9))


def tekun_approve(world: World, *people: dict[str, Any]) -> Outcome:
    case = tekun_case(world, *people)
    # The walker's assessment recorded one failed item (吃饭): 部分护理.
    fire(
        world.session,
        case.id,
        "approve",
        world.actor("approver"),
        at(2026, 3, 20),
        {"care_level": "部分护理"},
    )
    version = entitlements.latest(world.session, case.id)
    assert version is not None and version.components == {"basic": 72800, "care": 60000}
    return state_of(world, case), amount_in(world, case, "2026-04"), version.basis["explain"]


def tekun_wrong_care(world: World) -> Outcome:
    case = tekun_case(world, {"born": OLD})
    said = refused(world, case, "approve", "approver", at(2026, 3, 20), care_level="全护理")
    return state_of(world, case), amount_in(world, case, "2026-04"), said


def tekun_ineligible(world: World, person: dict[str, Any]) -> Outcome:
    case = tekun_case(world, person)
    said = refused(world, case, "approve", "approver", at(2026, 3, 20), care_level="部分护理")
    return state_of(world, case), amount_in(world, case, "2026-04"), said


# --------------------------------------------------------------------------- 临时救助

CAUSE = {"summary": "住院", "emergency_kind": "支出型", "cause": "因病", "new_grounds": ""}


def temporary_to_decision(world: World, amount: int) -> tuple[Case, Walker]:
    hh = home(world, {}, {})
    walker = Walker(world, at(2026, 3, 2, 9))
    case = open_case(world.session, "temporary", hh.id, world.actor("clerk"), walker.tick())
    fire(world.session, case.id, "start_investigation", world.actor("clerk"), walker.tick())
    payload = {**CAUSE, "amount_fen": amount}
    payload.pop("new_grounds")
    fire(
        world.session, case.id, "submit_investigation", world.actor("inv1"), walker.tick(), payload
    )
    fire(
        world.session,
        case.id,
        "start_publicity",
        world.actor("reviewer"),
        walker.tick(),
        {"place": "村务公开栏"},
    )
    walker.now += timedelta(days=8)
    fire(world.session, case.id, "publicity_ended", SYSTEM_ACTOR, walker.tick())
    return case, walker


def temporary_normal(world: World) -> Outcome:
    case, walker = temporary_to_decision(world, 100000)
    fire(
        world.session,
        case.id,
        "township_approve",
        world.actor("leader"),
        walker.tick(),
        {"amount_fen": 100000},
    )
    filed = world.session.scalars(
        select(Notification.user_id).where(
            Notification.case_id == case.id, Notification.kind == "filing"
        )
    ).all()
    assert sorted(filed) == sorted([world.users["approver"].id, world.users["approver2"].id])
    fire(world.session, case.id, "acknowledge_filing", world.actor("approver2"), walker.tick(), {})
    again = refused(world, case, "acknowledge_filing", "approver", walker.tick())
    event = world.session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.trigger == "township_approve"
        )
    ).one()
    return f"{state_of(world, case)}+备案", int(event.payload["amount_fen"]), again


def temporary_publicity_running(world: World) -> Outcome:
    hh = home(world, {}, {})
    walker = Walker(world, at(2026, 3, 2, 9))
    case = open_case(world.session, "temporary", hh.id, world.actor("clerk"), walker.tick())
    fire(world.session, case.id, "start_investigation", world.actor("clerk"), walker.tick())
    payload = {k: v for k, v in CAUSE.items() if k != "new_grounds"}
    fire(
        world.session,
        case.id,
        "submit_investigation",
        world.actor("inv1"),
        walker.tick(),
        {**payload, "amount_fen": 50000},
    )
    fire(
        world.session,
        case.id,
        "start_publicity",
        world.actor("reviewer"),
        walker.tick(),
        {"place": "村务公开栏"},
    )
    before = snapshot(world.session, case.id)
    with pytest.raises(CaseflowError) as err:
        fire(world.session, case.id, "publicity_ended", world.actor("reviewer"), walker.tick())
    with pytest.raises(CaseflowError):
        fire(
            world.session,
            case.id,
            "township_approve",
            world.actor("leader"),
            walker.tick(),
            {"amount_fen": 50000},
        )
    world.session.rollback()
    assert snapshot(world.session, case.id) == before
    return state_of(world, case), 0, type(err.value).__name__


def temporary_in_kind(world: World) -> Outcome:
    case, walker = temporary_to_decision(world, 100000)
    payload = {
        "amount_fen": 0,
        "aid_form": "实物",
        "in_kind": "棉被两床、米面各一袋",
        "in_kind_value_fen": 80000,
    }
    fire(world.session, case.id, "township_approve", world.actor("leader"), walker.tick(), payload)
    cash = sum(fen for kind, fen in one_offs(world, case, month_of(walker.now)).items())
    return state_of(world, case), cash, "实物折价 80000"


def one_offs(world: World, case: Case, month: str) -> dict[str, int]:
    """The case's temporary-assistance lines of `month`'s roll, by kind."""
    world.session.rollback()
    township = world.township
    rs = registry().rulesets
    found: dict[str, int] = {}
    for line in lines_for(world.session, township.path, township.id, month, rs, 3):
        if line.case_id == case.id:
            found[line.kind] = found.get(line.kind, 0) + line.amount_fen
    return found


def temporary_in_kind_undescribed(world: World) -> Outcome:
    case, walker = temporary_to_decision(world, 100000)
    said = refused(
        world,
        case,
        "township_approve",
        "leader",
        walker.tick(),
        amount_fen=0,
        aid_form="实物",
        in_kind_value_fen=80000,
    )
    return state_of(world, case), 0, said


def temporary_over_ceiling(world: World) -> Outcome:
    case, walker = temporary_to_decision(world, 300000)
    said = refused(world, case, "township_approve", "leader", walker.tick(), amount_fen=300000)
    fire(
        world.session,
        case.id,
        "refer_to_district",
        world.actor("leader"),
        walker.tick(),
        {"amount_fen": 300000},
    )
    fire(
        world.session,
        case.id,
        "district_approve",
        world.actor("approver"),
        walker.tick(),
        {"amount_fen": 300000},
    )
    return state_of(world, case), 300000, said


def emergency(world: World) -> tuple[Case, Walker]:
    hh = home(world, {}, {})
    walker = Walker(world, at(2026, 3, 2, 9))
    case = open_case(world.session, "temporary", hh.id, world.actor("clerk"), walker.tick())
    payload = {"emergency_kind": "急难型", "situation": "房屋失火"}
    fire(world.session, case.id, "declare_emergency", world.actor("clerk"), walker.tick(), payload)
    return case, walker


def advance_over_cap(world: World) -> Outcome:
    case, walker = emergency(world)
    said = refused(
        world,
        case,
        "grant_advance_aid",
        "reviewer",
        walker.tick(),
        amount_fen=10_000_000,
        paid_on="2026-03-02",
    )
    return state_of(world, case), 0, said


def advance_within_cap(world: World) -> Outcome:
    case, walker = emergency(world)
    payload = {"amount_fen": 100000, "paid_on": "2026-03-02"}
    fire(
        world.session, case.id, "grant_advance_aid", world.actor("reviewer"), walker.tick(), payload
    )
    paper = {**CAUSE, "emergency_kind": "急难型", "cause": "因灾", "amount_fen": 150000}
    paper.pop("new_grounds")
    fire(world.session, case.id, "complete_paperwork", world.actor("clerk"), walker.tick(), paper)
    assert state_of(world, case) == "township_decision"  # no 公示 after 先行救助
    fire(
        world.session,
        case.id,
        "township_approve",
        world.actor("leader"),
        walker.tick(),
        {"amount_fen": 150000},
    )
    lines = one_offs(world, case, month_of(walker.now))
    assert lines[ADVANCE] == 100000  # paid by the township at once, not again by the bank
    return state_of(world, case), lines[ONE_OFF], str(lines)


# --------------------------------------------------------------------------- clocks


def deadline_of(world: World, case: Case, state: str | None) -> Deadline:
    world.session.expire_all()
    where = Deadline.state.is_(None) if state is None else Deadline.state == state
    row = world.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id, where).order_by(Deadline.id.desc())
    ).first()
    assert row is not None
    return row


def clock(
    world: World,
    key: str,
    state: str | None,
    people: tuple[dict[str, Any], ...] = ({}, {}),
    *,
    row_state: str | None = None,
) -> Outcome:
    hh = home(world, *people)
    target = state or "accepted"
    case = to_state(world, key, hh, target, at(2026, 3, 2, 9))
    row = deadline_of(world, case, row_state or state)
    started, due = to_local(row.started_at).date(), to_local(row.due_at).date()  # type: ignore[arg-type]
    return (
        f"{row.rule}:{row.amount}{row.unit}:{started}→{due}",
        amount_in(world, case, "2026-04"),
        "",
    )


def clock_total_extended(world: World) -> Outcome:
    hh = home(world, {}, {})
    case = to_state(world, "dibao", hh, "investigating", at(2026, 3, 2, 9))
    fire(
        world.session,
        case.id,
        "extend_deadline",
        world.actor("leader"),
        at(2026, 3, 5),
        {"reason": "人户分离，调查难度较大"},
    )
    row = deadline_of(world, case, None)
    return f"{row.rule}:{row.amount}:{'已延长' if row.extended else ''}", 0, ""


def clock_emergency(world: World) -> Outcome:
    case, _ = emergency(world)
    row = deadline_of(world, case, "emergency_response")
    hours = (row.due_at - row.started_at).total_seconds() / 3600  # type: ignore[operator]
    return f"{row.rule}:{hours:g}小时", 0, ""


TOWNSHIP_PHASE = registry().workflow("tekun").phases[0].row_state
N57 = "民发〔2021〕57号"
N43 = "民发〔2021〕43号"
N23 = "民发〔2018〕23号"
R649 = "社会救助暂行办法（国务院令第649号）"
TWO = "偏离须说明理由并经第二名审批人复签（本区规定）"

SCENARIOS: list[Scenario] = [
    # ------------------------------------------------------------------ 低保 approvals
    Scenario(
        "低保审批：三人户 B 类保障两人，按两人补差",
        f"{R649} 第十二条；分类施保（区方案）",
        partial_coverage,
        "approved",
        2 * 36000,
        "保障 2 人",
    ),
    Scenario(
        "低保审批：批准当月不发放，次月起发放",
        f"{N57} 第二十一条",
        first_month,
        "3月0/4月起发放",
        112000,
    ),
    Scenario(
        "低保审批：优待抚恤金不计入，按工资收入补差",
        f"{N57} 第十三条（一）",
        excluded_income_approval,
        "approved",
        72000,
        "不计入：优待抚恤金 800.00 元",
    ),
    Scenario(
        "低保审批：核对不符合条件的家庭不能批准，未写入",
        f"{N57} 第二十一条",
        ineligible_refused,
        "district_review",
        0,
        "核对结论为不符合条件",
    ),
    Scenario(
        "单人保审批：低保边缘家庭一级肢体残疾成员单独纳入",
        f"{N57} 第八条；民发〔2022〕83号 一(四)",
        single_person,
        "approved",
        56000 + 10000,
        "单人保",
    ),
    Scenario(
        "单人保审批：未指明保障对象（全户）被拒绝，未写入",
        f"{N57} 第八条",
        single_person_batch,
        "district_review",
        0,
        "只能按单人保单独纳入 1 人",
    ),
    Scenario(
        "单人保审批：边缘家庭保障两人被拒绝，未写入",
        f"{N57} 第八条",
        single_person_two,
        "district_review",
        0,
        "可纳入：甲",
    ),
    # ------------------------------------------------------------------ deviations
    Scenario(
        "偏离核定金额：说明理由并经第二名审批人复签后按偏离金额发放",
        TWO,
        deviation,
        "approved",
        100000,
        "核定 112000",
    ),
    Scenario(
        "偏离核定金额：未说明理由被拒绝，未写入",
        TWO,
        deviation_without_reason,
        "district_review",
        0,
        "偏离理由",
    ),
    Scenario(
        "偏离核定金额：与核定金额相同被拒绝，未写入",
        TWO,
        deviation_same_amount,
        "district_review",
        0,
        "无需偏离",
    ),
    Scenario(
        "偏离核定金额：提出人不能自己复签，未写入",
        TWO,
        deviation_same_approver,
        "deviation_review",
        0,
    ),
    # ------------------------------------------------------------------ reviews
    Scenario(
        "复核减发：收入增加仍低于标准，次月起按新差额发放",
        f"{N57} 第三十一条",
        lambda w: review(w, 0, 40000),
        "复核减发",
        2 * 36000,
        "112000→72000",
    ),
    Scenario(
        "复核增发：收入减少，次月起按新差额发放",
        f"{N57} 第三十一条",
        lambda w: review(w, 60000, 0),
        "复核增发",
        112000,
        "52000→112000",
    ),
    # ------------------------------------------------------------------ 提标
    Scenario(
        "提标（低保）：5 月起标准 560→600 元，已发的 5 月补发差额",
        f"{R649} 第十二条（按新标准补差）",
        rise_dibao,
        "提标补发",
        2 * 4000,
    ),
    Scenario(
        "提标（特困）：基本生活标准随之上调，已发的 5 月补发差额",
        f"{N43}；1.3 倍（出处待核实）",
        rise_tekun,
        "提标补发",
        78000 - 72800,
    ),
    # ------------------------------------------------------------------ removal and 渐退
    Scenario(
        "停保（无渐退）：决定当月照发，次月起停发",
        f"{N43} 第二十六条（次月起终止）；低保同（57号条文待核实）",
        removal_plain,
        "5月112000/6月起停发",
        0,
    ),
    Scenario(
        "渐退：务工收入超过标准，给予 3 个月渐退后停发",
        f"{N57} 第三十三条；民发〔2022〕83号 一(三)",
        gradual,
        "渐退3个月",
        112000,
        "0]",
    ),
    Scenario(
        "渐退：收入超标来自转移性收入，不适用，未写入",
        f"{N57} 第三十三条",
        lambda w: gradual_refused(w, "transfer", 200000),
        "district_review",
        112000,
        "并非来自就业",
    ),
    Scenario(
        "渐退：收入仍低于标准，不适用，未写入",
        f"{N57} 第三十三条",
        lambda w: gradual_refused(w, "wages", 40000),
        "district_review",
        112000,
        "仍低于低保标准",
    ),
    Scenario(
        "渐退：月数超过配置的 6 个月，拒绝，未写入",
        "民发〔2022〕83号 一(三)",
        lambda w: gradual_refused(w, "wages", 200000, 7),
        "district_review",
        112000,
        "1 至 6 个月",
    ),
    Scenario(
        "渐退：只在特困供养的家庭不适用渐退，未写入",
        f"{N57} 第三十三条",
        gradual_tekun_only,
        "district_review",
        72800 + 60000,
        "仅适用于低保家庭",
    ),
    # ------------------------------------------------------------------ 特困
    Scenario(
        "特困审批：年满 60 周岁，基本生活标准 + 部分护理补贴",
        f"{N43} 第五条（一）、第二十二条",
        lambda w: tekun_approve(w, {"born": OLD}),
        "approved",
        72800 + 60000,
        "部分护理",
    ),
    Scenario(
        "特困审批：45 周岁二级肢体残疾",
        f"{N43} 第五条（三）",
        lambda w: tekun_approve(w, {"grade": 2, "dtype": "physical"}),
        "approved",
        132800,
    ),
    Scenario(
        "特困审批：护理等级与自理能力评估不符，拒绝，未写入",
        f"{N43} 第二十二条",
        tekun_wrong_care,
        "district_review",
        0,
        "护理等级须与自理能力评估结果一致（评估结果：部分护理）",
    ),
    Scenario(
        "特困审批：三级肢体残疾不属于无劳动能力，不予批准，未写入",
        f"{N43} 第五条（三）",
        lambda w: tekun_ineligible(w, {"grade": 3, "dtype": "physical"}),
        "district_review",
        0,
        "三级肢体残疾不属于",
    ),
    Scenario(
        "特困审批：二级听力残疾不属于无劳动能力，不予批准，未写入",
        f"{N43} 第五条（三）",
        lambda w: tekun_ineligible(w, {"grade": 2, "dtype": "hearing"}),
        "district_review",
        0,
        "二级听力残疾",
    ),
    # ------------------------------------------------------------------ 临时救助
    Scenario(
        "临时救助（支出型）：公示 7 天期满后乡镇审批，报区备案并确认",
        f"{R649} 第四十八条",
        temporary_normal,
        "approved+备案",
        100000,
        "已备案",
    ),
    Scenario(
        "临时救助：公示期间不能提前结束或审批，未写入",
        f"{R649} 第四十八条",
        temporary_publicity_running,
        "publicizing",
        0,
        "PermissionDenied",
    ),
    Scenario(
        "临时救助：超过乡镇审批额度须报区审批",
        f"{R649} 第四十八条",
        temporary_over_ceiling,
        "approved",
        300000,
        "乡镇审批额度",
    ),
    Scenario(
        "临时救助：实物救助（折价 800 元）不进入现金发放",
        f"{N23} 二(四)",
        temporary_in_kind,
        "approved",
        0,
        "实物折价",
    ),
    Scenario(
        "临时救助：选择实物但未写明内容，拒绝，未写入",
        f"{N23} 二(四)",
        temporary_in_kind_undescribed,
        "township_decision",
        0,
        "须写明实物内容",
    ),
    Scenario(
        "先行救助：超过上限（10 万元），拒绝，未写入",
        f"{N23} 二(二)（上限数值待核实）",
        advance_over_cap,
        "emergency_response",
        0,
        "超过上限 1120.00 元",
    ),
    Scenario(
        "先行救助：1,000 元上限内发放，补办后不经公示审批 1,500 元，银行再发 500 元",
        f"{N23} 二(二)",
        advance_within_cap,
        "approved",
        50000,
    ),
    # ------------------------------------------------------------------ clocks
    Scenario(
        "时限：受理后 3 个工作日内启动调查",
        f"{N57} 第十五条",
        lambda w: clock(w, "dibao", "accepted"),
        "start_investigation:3working_days:2026-03-02→2026-03-05",
        0,
    ),
    Scenario(
        "时限：低保公示 7 天",
        f"{N57} 第十九条",
        lambda w: clock(w, "dibao", "publicizing"),
        "publicity:7calendar_days:2026-03-02→2026-03-09",
        0,
    ),
    Scenario(
        "时限：特困乡镇调查核实及初审，自受理起 15 个工作日",
        f"{N43} 第十三条",
        lambda w: clock(w, "tekun", "investigating", ({"born": OLD},), row_state=TOWNSHIP_PHASE),
        "tekun_township:15working_days:2026-03-02→2026-03-23",
        0,
    ),
    Scenario(
        "时限：区级审核确认 10 个工作日",
        f"{N57} 第二十条",
        lambda w: clock(w, "dibao", "district_review"),
        # The seven days of publicity run first (only the timer ends them).
        "district_decision:10working_days:2026-03-10→2026-03-24",
        0,
    ),
    Scenario(
        "时限：临时救助公示 7 天（计时器结束）",
        f"{R649} 第四十八条",
        lambda w: clock(w, "temporary", "publicizing"),
        "publicity:7calendar_days:2026-03-02→2026-03-09",
        0,
    ),
    Scenario(
        "时限：办理总时限 30 个工作日，延长一次至 45 个工作日",
        f"{N57} 第二十二条",
        clock_total_extended,
        "total:45:已延长",
        0,
    ),
    Scenario(
        "时限：救急难先行救助 12 小时（本区规则集，示例值）",
        f"{N23} 二(二)（时限为本区规定，待核实）",
        clock_emergency,
        "emergency_response:12小时",
        0,
    ),
]


@pytest.mark.parametrize("row", SCENARIOS, ids=[s.description for s in SCENARIOS])
def test_scenario(world: World, row: Scenario) -> None:
    outcome, fen, text = row.run(world)
    assert (outcome, fen) == (row.outcome, row.fen), text
    assert row.says in text, text
    assert row.basis
