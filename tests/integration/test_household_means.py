"""Recording a household's means line by line (record_household_means) and the home visit's date
(never in the future, corrected only with a reason): what is stored, what the audit keeps and
what the means test computes from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from support import SH, T0, World
from walker import Walker

from caseflow.casework.assessments import latest_assessment
from caseflow.casework.home_visit import recorded_visit_date
from caseflow.casework.means import record_means
from caseflow.db.models import Case, CaseEvent, Member, MemberAsset, MemberExpense, MemberIncome
from caseflow.engine.fire import available_transitions, fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid
from caseflow.workflow.registry import registry


def _case(world: World, key: str = "dibao", state: str = "investigating") -> tuple[Walker, Case]:
    walker = Walker(world, T0)
    return walker, walker.to_state(registry().workflow(key), state)


def _members(world: World, case: Case) -> list[Member]:
    return list(
        world.session.scalars(
            select(Member).where(Member.household_id == case.household_id).order_by(Member.id)
        )
    )


def _line(member: Member, section: str, kind: str, amount: str, **extra: Any) -> dict[str, Any]:
    row = {"member_id": str(member.id), "section": section, "kind": kind, "amount": amount}
    defaults = {"check": "verified", "evidence": "信息核对报告", "as_of": "2026-02-28", "note": ""}
    return {**row, **defaults, **extra}


def _events(world: World, case: Case, trigger: str) -> list[CaseEvent]:
    return list(
        world.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.trigger == trigger)
            .order_by(CaseEvent.seq)
        )
    )


def _count(world: World, model: type) -> int:
    return world.session.scalar(select(func.count()).select_from(model)) or 0


def test_lines_are_stored_with_their_evidence_and_the_means_test_computes_from_them(
    world: World,
) -> None:
    walker, case = _case(world)
    head, spouse = _members(world, case)
    now = walker.tick()
    rows = [
        _line(head, "income", "wages", "1200", note="建筑工地务工"),
        _line(spouse, "income", "business", "300.50", check="declared", evidence=""),
        _line(spouse, "income", "basic_pension", "150"),
        _line(head, "asset", "deposit", "8000", evidence="银行流水"),
        _line(spouse, "expense", "medical", "250", evidence="住院费用票据"),
    ]
    record_means(world.session, case, world.actor("inv1"), now, rows)
    world.session.commit()

    wages = world.session.scalars(
        select(MemberIncome).where(MemberIncome.member_id == head.id)
    ).one()
    assert (wages.source, wages.monthly_fen, wages.check_result) == ("wages", 120000, "verified")
    assert (wages.evidence, wages.note, wages.as_of.isoformat()) == (
        "信息核对报告",
        "建筑工地务工",
        "2026-02-28",
    )
    assert wages.recorded_by_id == world.users["inv1"].id
    assert wages.recorded_at is not None
    assessment = latest_assessment(world.session, case, "means_test")
    assert assessment is not None and assessment.at == now
    explain = assessment.result["explain"]
    # 1,200.00 + 300.50 counted, the basic pension not; of 250.00 medical spending the seed's
    # example cap deducts 200.00: (1,500.50 − 200.00) ÷ 2 = 650.25 ≥ 560.00.
    assert "家庭月收入 1500.50 元 − 扣减 200.00 元 = 1300.50 元 ÷ 2 人" in explain
    assert "人均月收入 650.25 元" in explain and "家庭月收入 0.00 元" not in explain
    treatments = [
        (x["member"], x["kind"], x["treatment"], x["check"]) for x in assessment.result["lines"]
    ]
    assert treatments == [
        ("王大明", "工资性收入", "计入", "信息核对一致"),
        ("王大明", "存款", "计入金融资产", "信息核对一致"),
        ("家人1", "经营性收入", "计入", "本人申报，未经核对"),
        ("家人1", "城乡居民基本养老保险基础养老金", "不计入", "信息核对一致"),
        ("家人1", "因病医疗刚性支出", "扣减 200.00 元", "信息核对一致"),
    ]
    recorder = world.users["inv1"].display_name
    stamp = f"{recorder} {now.astimezone(SH):%Y-%m-%d %H:%M}"
    assert {x["recorded"] for x in assessment.result["lines"]} == {stamp}


def test_a_new_record_replaces_every_line_and_the_audit_keeps_both(world: World) -> None:
    walker, case = _case(world)
    head, spouse = _members(world, case)
    first = [
        _line(head, "income", "wages", "900"),
        _line(spouse, "income", "transfer", "200"),
        _line(spouse, "expense", "medical", "150", evidence="住院发票"),
    ]
    record_means(world.session, case, world.actor("inv1"), walker.tick(), first)
    world.session.commit()
    kept_id = world.session.scalars(
        select(MemberIncome.id).where(MemberIncome.source == "wages")
    ).one()

    # inv2 keeps the wages line as it was and drops the rest.
    second = [{**first[0], "id": str(kept_id)}]
    record_means(world.session, case, world.actor("inv2"), walker.tick(), second)
    world.session.commit()

    incomes = list(world.session.scalars(select(MemberIncome)))
    assert [(i.id, i.source) for i in incomes] == [(kept_id, "wages")]
    assert incomes[0].recorded_by_id == world.users["inv1"].id  # unchanged: its recorder stays
    assert _count(world, MemberExpense) == 0
    audit = _events(world, case, "record_household_means")
    assert [len(e.payload["records"]) for e in audit] == [3, 1]
    assert audit[0].payload["records"][2]["evidence"] == "住院发票"
    assert [e.actor_id for e in audit] == [world.users["inv1"].id, world.users["inv2"].id]


def test_a_changed_line_is_stamped_with_the_new_recorder(world: World) -> None:
    walker, case = _case(world)
    head, _ = _members(world, case)
    row = _line(head, "asset", "vehicle", "30000", check="pending", evidence="")
    record_means(world.session, case, world.actor("inv1"), walker.tick(), [row])
    world.session.commit()
    asset = world.session.scalars(select(MemberAsset)).one()
    changed = {**row, "id": str(asset.id), "check": "adjusted", "evidence": "车管所核对回执"}
    record_means(world.session, case, world.actor("inv2"), walker.tick(), [changed])
    world.session.commit()
    world.session.refresh(asset)
    assert (asset.check_result, asset.evidence) == ("adjusted", "车管所核对回执")
    assert asset.recorded_by_id == world.users["inv2"].id


def test_bad_lines_are_refused_field_by_field_and_nothing_is_written(world: World) -> None:
    walker, case = _case(world)
    head, _ = _members(world, case)
    future = (walker.now + timedelta(days=2)).date().isoformat()
    rows = [
        _line(head, "income", "wages", "abc", key="r1"),
        _line(head, "income", "lottery", "100", key="r2"),
        _line(head, "asset", "deposit", "100", as_of=future, key="r3"),
        _line(head, "income", "wages", "100", evidence="", key="r4"),
        {"member_id": "999999", "section": "income", "kind": "wages", "amount": "1", "key": "r5"},
    ]
    events_before = _count(world, CaseEvent)
    with pytest.raises(PayloadInvalid) as caught:
        record_means(world.session, case, world.actor("inv1"), walker.tick(), rows)
    errors = caught.value.fields
    assert "金额" in errors["r1-amount"]
    assert errors["r2-kind"] == "类别不在可选范围内"
    assert "不能晚于今天" in errors["r3-as_of"]
    assert "须写明依据" in errors["r4-evidence"]
    assert errors["r5-member_id"] == "请从本户成员中选择"
    assert errors["r5-check"] == "请选择核对结果"
    world.session.rollback()
    assert _count(world, CaseEvent) == events_before
    assert _count(world, MemberIncome) == 0 and _count(world, MemberAsset) == 0


def test_the_engine_refuses_bad_lines_sent_past_the_form(world: World) -> None:
    walker, case = _case(world)
    head, _ = _members(world, case)
    bad = [_line(head, "income", "wages", "-5")]
    with pytest.raises(GuardFailed, match="金额：金额不能为负数"):
        fire(
            world.session,
            case.id,
            "record_household_means",
            world.actor("inv1"),
            walker.tick(),
            {"records": bad},
        )


def test_means_are_recorded_in_a_review_and_in_a_tekun_investigation(world: World) -> None:
    for key, state in (("review", "reviewing"), ("tekun", "investigating")):
        walker, case = _case(world, key, state)
        head = _members(world, case)[0]
        record_means(
            world.session,
            case,
            world.actor("inv1"),
            walker.tick(),
            [_line(head, "income", "transfer", "80")],
        )
        world.session.commit()
        assert _events(world, case, "record_household_means"), key
    assert _count(world, MemberIncome) == 2


# ------------------------------------------------------------------------------ the visit date


def _sign(world: World, walker: Walker, case: Case, user: str, day: str) -> None:
    visit = {"visit_date": day, "findings": "家中确有困难"}
    fire(world.session, case.id, "sign_home_visit", world.actor(user), walker.tick(), visit)
    world.session.commit()


def test_a_visit_date_after_today_is_refused_and_nothing_is_written(world: World) -> None:
    walker, case = _case(world)
    tomorrow = (walker.now + timedelta(days=1)).date().isoformat()
    events_before = _count(world, CaseEvent)
    with pytest.raises(GuardFailed, match=f"入户日期 {tomorrow} 晚于今天"):
        _sign(world, walker, case, "inv1", tomorrow)
    world.session.rollback()
    assert _count(world, CaseEvent) == events_before
    _sign(world, walker, case, "inv1", walker.now.date().isoformat())  # today is fine
    assert recorded_visit_date(world.session, case.id) == walker.now.date()


def test_a_mistaken_visit_date_is_corrected_with_a_reason_and_audited(world: World) -> None:
    walker, case = _case(world)
    inv = world.actor("inv1")
    offered = {a.trigger for a in available_transitions(world.session, case, inv, walker.now)}
    assert "correct_home_visit_date" not in offered  # nothing signed yet, nothing to correct
    _sign(world, walker, case, "inv1", "2026-03-02")
    _sign(world, walker, case, "inv2", "2026-03-02")

    def correct(**payload: str) -> None:
        try:
            fire(world.session, case.id, "correct_home_visit_date", inv, walker.tick(), payload)
        finally:
            world.session.rollback()

    with pytest.raises(PayloadInvalid) as caught:
        correct(visit_date="2026-02-27")
    assert caught.value.fields == {"reason": "请填写更正理由"}
    with pytest.raises(GuardFailed, match="相同"):
        correct(visit_date="2026-03-02", reason="笔误")
    future = (walker.now + timedelta(days=3)).date().isoformat()
    with pytest.raises(GuardFailed, match="晚于今天"):
        correct(visit_date=future, reason="笔误")

    fix = {"visit_date": "2026-02-27", "reason": "入户记录表日期为 2 月 27 日，录入时笔误"}
    fire(world.session, case.id, "correct_home_visit_date", inv, walker.tick(), fix)
    world.session.commit()
    assert recorded_visit_date(world.session, case.id).isoformat() == "2026-02-27"  # type: ignore[union-attr]
    (event,) = _events(world, case, "correct_home_visit_date")
    assert event.payload == fix and event.actor_id == world.users["inv1"].id
    # The signatures stay: the case still goes on to the investigation's result.
    world.session.refresh(case)
    assert case.state == "investigating"
