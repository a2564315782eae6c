"""The rules inside the workflows: assessments, covered persons, caps, ceilings, repeats, 提标."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from support import T0, World
from walker import Walker, sample_payload, shortest_path

from caseflow import SEED_DIR
from caseflow.db.models import AdminEvent, Assessment, Case, MemberIncome
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import GuardFailed, PayloadInvalid, PermissionDenied
from caseflow.payments import entitlements
from caseflow.payments.rise import rise_list
from caseflow.policy.store import enter_policy, policy_table
from caseflow.workflow.registry import registry


def _assessment(world: World, case: Case) -> Assessment:
    world.session.rollback()
    return world.session.scalars(
        select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id.desc())
    ).first()  # type: ignore[return-value]


def _members(case: Case) -> list[int]:
    assert case.household is not None
    return [m.id for m in case.household.members]


def _to(world: World, key: str, state: str, *, size: int = 2) -> tuple[Walker, Case]:
    wf = registry().workflow(key)
    walker = Walker(world, T0)
    hh = world.household(size=size)
    case = open_case(world.session, key, hh.id, world.actor("clerk"), walker.tick())
    for t in shortest_path(wf, state):
        walker.step(case, t)
    return walker, case


def test_means_test_is_recorded_with_every_rule_and_the_standard_used(world: World) -> None:
    walker, case = _to(world, "dibao", "investigating")
    hh = case.household
    world.session.add(MemberIncome(member_id=hh.members[0].id, source="wages", monthly_fen=40000))
    world.session.commit()
    walker.record_assessment(case)
    row = _assessment(world, case)
    assert row.kind == "means_test" and row.outcome == "eligible"
    assert row.policy_effective_from == date(2026, 1, 1) and row.policy_is_example
    text = row.result["explain"]
    assert "200.00" in text and "560.00" in text  # per-capita income and the 2026 standard
    assert "示例" in text
    assert row.result["rules"][0]["code"] == "MT-INCOME"
    assert row.amount_fen == (56000 - 20000) * 2  # gap method, both members covered


@pytest.mark.parametrize(
    ("size", "aid_class", "covered", "ok"),
    [
        (2, "B", 1, False),
        (2, "B", 2, True),
        (1, "B", 1, True),
        (3, "A", 2, False),
        (3, "C", 2, True),
    ],
)
def test_covered_persons_rule_on_approval(
    world: World, size: int, aid_class: str, covered: int, ok: bool
) -> None:
    walker, case = _to(world, "dibao", "district_review", size=size)
    payload = {"covered_members": _members(case)[:covered], "aid_class": aid_class}
    if ok:
        fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    else:
        with pytest.raises(GuardFailed) as err:
            fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)
        assert "类" in err.value.message_zh and "保障" in err.value.message_zh


def test_the_approved_amount_is_the_computed_one_and_cannot_be_typed(world: World) -> None:
    walker, case = _to(world, "dibao", "district_review")
    everyone = _members(case)
    typed = {"covered_members": everyone, "aid_class": "A", "amount_fen": 234000}
    with pytest.raises(PayloadInvalid) as bad:
        fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), typed)
    assert bad.value.fields == {"amount_fen": "本操作没有此项"}
    payload = {"covered_members": everyone, "aid_class": "A"}
    fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    version = entitlements.latest(world.session, case.id)
    assert version is not None and version.kind == "grant" and version.deviation_reason == ""
    # The whole household under A: exactly what the means test computed for it.
    assert version.amount_fen == version.computed_fen == _assessment(world, case).amount_fen
    assert version.covered_member_ids == sorted(everyone)


def test_an_ineligible_household_is_not_approved(world: World) -> None:
    walker, case = _to(world, "dibao", "investigating")
    assert case.household is not None
    rich = MemberIncome(member_id=case.household.members[0].id, source="wages", monthly_fen=900000)
    world.session.add(rich)
    world.session.commit()
    wf = registry().workflow("dibao")
    for t in shortest_path(wf, "district_review")[len(shortest_path(wf, "investigating")) :]:
        walker.step(case, t)
    payload = {"covered_members": _members(case), "aid_class": "A"}
    with pytest.raises(GuardFailed, match="不符合条件，不能批准"):
        fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)


def test_income_risen_since_the_assessment_gives_no_approval_at_nothing(world: World) -> None:
    """Assessed eligible, but the household's income rose before the district's decision (a
    later record): the rules now give 0 元, so the approval is refused with the figures — not
    written as a 低保 paying nothing — and nothing changes."""
    walker, case = _to(world, "dibao", "district_review")
    assert _assessment(world, case).outcome == "eligible"
    assert case.household is not None
    risen = MemberIncome(member_id=case.household.members[0].id, source="wages", monthly_fen=900000)
    world.session.add(risen)
    world.session.commit()
    payload = {"covered_members": _members(case), "aid_class": "A"}
    with pytest.raises(GuardFailed, match=r"月保障金为 0 元（人均月收入 .* 元，标准 .* 元）"):
        fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    world.session.rollback()
    assert world.session.get(Case, case.id).state == "district_review"  # type: ignore[union-attr]
    assert entitlements.latest(world.session, case.id) is None


def test_a_deviation_needs_a_reason_and_a_second_approver(world: World) -> None:
    walker, case = _to(world, "dibao", "district_review")
    terms = {"covered_members": _members(case), "aid_class": "A"}
    approver, second = world.actor("approver"), world.actor("approver2")
    with pytest.raises(PayloadInvalid) as bad:
        fire(world.session, case.id, "propose_deviation", approver, walker.tick(),
             {**terms, "amount_fen": 50000})  # fmt: skip
    assert "reason" in bad.value.fields
    computed = _assessment(world, case).amount_fen
    same = {**terms, "amount_fen": computed, "reason": "与核定相同"}
    with pytest.raises(GuardFailed, match="无需偏离"):
        fire(world.session, case.id, "propose_deviation", approver, walker.tick(), same)
    other = {**terms, "amount_fen": 50000, "reason": "家庭有重病患者，医疗支出大"}
    fire(world.session, case.id, "propose_deviation", approver, walker.tick(), other)
    with pytest.raises(PermissionDenied, match="职责分离"):
        fire(world.session, case.id, "confirm_deviation", approver, walker.tick())
    fire(world.session, case.id, "confirm_deviation", second, walker.tick())
    version = entitlements.latest(world.session, case.id)
    assert version is not None
    assert (version.amount_fen, version.computed_fen) == (50000, computed)
    assert version.deviation_reason == "家庭有重病患者，医疗支出大"
    assert version.basis["proposed_by"] == world.users["approver"].id
    assert version.basis["confirmed_by"] == world.users["approver2"].id


def test_tekun_care_level_and_amount(world: World) -> None:
    walker, case = _to(world, "tekun", "investigating")
    fire(
        world.session,
        case.id,
        "record_self_care",
        world.actor("inv1"),
        walker.tick(),
        {"failed_items": ["吃饭", "穿衣", "如厕", "洗澡"], "support_mode": "分散供养"},
    )
    row = _assessment(world, case)
    assert row.result["care_level"] == "full"
    assert row.amount_fen == 72800 + 120000  # ⌈1.3 × 560.00⌉ + full-care allowance
    with pytest.raises(PayloadInvalid):
        fire(
            world.session,
            case.id,
            "record_self_care",
            world.actor("inv1"),
            walker.tick(),
            {"failed_items": ["飞行"], "support_mode": "分散供养"},
        )


def _temporary_payload(world: World, amount_fen: int, new_grounds: str = "") -> dict[str, object]:
    t = registry().workflow("temporary").transition_for("investigating", "submit_investigation")
    assert t is not None
    payload = sample_payload(t)
    payload.update(cause="因病", amount_fen=amount_fen, new_grounds=new_grounds)
    return payload


def test_township_ceiling_sends_larger_temporary_amounts_to_the_district(world: World) -> None:
    walker, case = _to(world, "temporary", "investigating")
    fire(
        world.session,
        case.id,
        "submit_investigation",
        world.actor("inv1"),
        walker.tick(),
        _temporary_payload(world, 500000),
    )
    # 公示 before approval (社会救助暂行办法 第四十八条); the timer ends it after seven days.
    fire(
        world.session,
        case.id,
        "start_publicity",
        world.actor("reviewer"),
        walker.tick(),
        {"place": "村委会公示栏"},
    )
    with pytest.raises(PermissionDenied):
        fire(world.session, case.id, "publicity_ended", world.actor("reviewer"), walker.tick())
    walker.now += timedelta(days=8)  # the seven calendar days of 公示 have run out
    fire(world.session, case.id, "publicity_ended", SYSTEM_ACTOR, walker.tick())
    with pytest.raises(GuardFailed, match="乡镇审批额度"):
        fire(
            world.session,
            case.id,
            "township_approve",
            world.actor("reviewer"),
            walker.tick(),
            {"amount_fen": 300000},
        )
    fire(
        world.session,
        case.id,
        "refer_to_district",
        world.actor("reviewer"),
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


def test_same_cause_again_is_refused_with_the_earlier_case_linked(world: World) -> None:
    wf = registry().workflow("temporary")
    walker = Walker(world, T0)
    hh = world.household()
    first = open_case(world.session, "temporary", hh.id, world.actor("clerk"), walker.tick())
    for t in shortest_path(wf, "paid"):
        payload = _temporary_payload(world, 50000) if t.trigger == "submit_investigation" else None
        walker.step(first, t, payload)
    walker.now += timedelta(days=30)
    second = open_case(world.session, "temporary", hh.id, world.actor("clerk"), walker.tick())
    fire(world.session, second.id, "start_investigation", world.actor("clerk"), walker.tick())
    with pytest.raises(GuardFailed) as err:
        fire(
            world.session,
            second.id,
            "submit_investigation",
            world.actor("inv1"),
            walker.tick(),
            _temporary_payload(world, 50000),
        )
    assert first.case_no in err.value.message_zh
    fire(
        world.session,
        second.id,
        "submit_investigation",
        world.actor("inv1"),
        walker.tick(),
        _temporary_payload(world, 50000, new_grounds="病情复发再次住院"),
    )


def test_new_standard_is_audited_and_produces_the_rise_list(world: World) -> None:
    _, case = _to(world, "dibao", "approved")
    before = _assessment(world, case)
    kept = (before.amount_fen, before.policy_effective_from, dict(before.result))
    text = (SEED_DIR / "policy" / "640502-example.yaml").read_text(encoding="utf-8")
    rise = text.replace("2025-01-01", "2027-01-01").replace(
        "dibao_standard_fen: 54000", "dibao_standard_fen: 60000"
    )
    rise = rise[: rise.index("  - effective_from: 2026-01-01")]
    enter_policy(world.session, rise, world.users["admin"].id, T0)
    log = world.session.scalars(select(AdminEvent).order_by(AdminEvent.id.desc())).first()
    assert log is not None and log.action == "policy.enter" and log.subject == "640502@2027-01-01"
    assert (
        policy_table(world.session, "640502").in_force(date(2027, 1, 1)).dibao_standard_fen == 60000
    )
    result = rise_list(world.session, "640502", date(2027, 1, 1))
    assert len(result.items) == 1
    change = result.items[0]
    assert change.difference_fen == (60000 - 56000) * 2
    assert change.month == "2027-01"
    # The case decided under the 2026 standard keeps its figures.
    after = _assessment(world, case)
    assert (after.amount_fen, after.policy_effective_from, dict(after.result)) == kept


def test_reports_list_single_covered_and_class_c_cases(world: World) -> None:
    from caseflow.read.reports import class_c_due, single_covered

    decided = []
    for size, cls, covered in [(3, "B", 2), (1, "C", 1), (3, "C", 2)]:
        walker, case = _to(world, "dibao", "district_review", size=size)
        fire(
            world.session,
            case.id,
            "approve",
            world.actor("approver"),
            walker.tick(),
            {"covered_members": _members(case)[:covered], "aid_class": cls},
        )
        decided.append(case.case_no)
    district = world.actor("supervisor")
    assert [r.case_ref for r in class_c_due(world.session, district)] == decided[1:]
    assert single_covered(world.session, district) == []  # the rule refuses new 户1人保 cases
    assert class_c_due(world.session, world.actor("other_reviewer")) == []  # jurisdiction


def test_registration_records_the_disability_type_as_a_code(world: World) -> None:
    from caseflow.casework.households import HouseholdInput, MemberInput, validate_household
    from caseflow.kernel.idnumber import make_id_number

    def form(kind: str, grade: str) -> HouseholdInput:
        ident = make_id_number("640502", date(1980, 5, 1), 777)
        row = MemberInput("李四", ident, "户主", disability_grade=grade, disability_type=kind)
        return HouseholdInput(org_unit_id=str(world.village.id), members=[row])

    clerk = world.actor("clerk")
    household = validate_household(world.session, clerk, form("智力残疾", "3"), T0)
    assert household.members[0].disability_type == "intellectual"
    assert (
        validate_household(world.session, clerk, form("", "2"), T0).members[0].disability_type
        is None
    )
    with pytest.raises(PayloadInvalid) as bad:
        validate_household(world.session, clerk, form("聋哑", "2"), T0)
    assert "残疾类别" in bad.value.fields["members-0-disability_type"]
    with pytest.raises(PayloadInvalid) as no_grade:
        validate_household(world.session, clerk, form("肢体", ""), T0)
    assert "残疾等级" in no_grade.value.fields["members-0-disability_grade"]
    world.session.rollback()
