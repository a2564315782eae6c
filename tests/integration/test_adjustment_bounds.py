"""Manual adjustments (补发/扣回) are bounded by the month they correct, large ones are a risk
finding, a mistaken one is withdrawn by the preparer before the roll's check and not after, and
a value stored before the bounds never breaks the next roll — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from payments_support import TOWNSHIP, approve, at, sign
from sqlalchemy import select
from support import World

from caseflow.db.models import AdminEvent, Case, CaseEvent
from caseflow.engine.fire import fire
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied, TransitionNotAllowed
from caseflow.payments.adjustments import (
    add_adjustment,
    pending_adjustments,
    withdraw_adjustment,
)
from caseflow.payments.models import (
    ADJUSTMENT,
    PaymentAdjustment,
    PaymentRoll,
    RiskFinding,
    RollRow,
)
from caseflow.payments.roll import prepare_roll


def _signed_april(world: World) -> Case:
    """A 低保 case paying 200 元 a month, its April roll signed."""
    case = approve(world, at(2026, 3, 10), amount=20000)
    world.session.rollback()
    april = prepare_roll(
        world.session, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 4, 1)
    )
    sign(world, april, at(2026, 4, 3))
    return case


def _adjust(world: World, case: Case, fen: int, who: str = "finance") -> PaymentAdjustment:
    assert case.household_id is not None
    return add_adjustment(
        world.session,
        world.actor(who),
        household_id=case.household_id,
        case_id=case.id,
        for_month="2026-04",
        amount_fen=fen,
        reason="银行退回",
        now=at(2026, 4, 20),
    )


def _may(world: World, when: datetime | None = None) -> PaymentRoll:
    world.session.rollback()
    return prepare_roll(
        world.session, world.actor("reviewer"), TOWNSHIP, "2026-05", when or at(2026, 5, 1)
    )


def _live_adjustment_rows(world: World, roll: PaymentRoll) -> list[RollRow]:
    world.session.expire_all()
    return list(
        world.session.scalars(
            select(RollRow).where(
                RollRow.roll_id == roll.id, RollRow.kind == ADJUSTMENT, RollRow.removed_at.is_(None)
            )
        )
    )


def test_back_pay_beyond_the_months_entitlement_is_refused(world: World) -> None:
    case = _signed_april(world)
    with pytest.raises(PayloadInvalid) as huge:
        _adjust(world, case, 100_000_000 * 100)  # 100,000,000 元 for a 200 元 month
    assert "补发不能超过该月按保障记录应发的金额" in huge.value.fields["amount"]
    assert "最多还可补发 200.00 元" in huge.value.fields["amount"]
    with pytest.raises(PayloadInvalid) as overflow:
        _adjust(world, case, 9 * 10**18)
    assert overflow.value.fields["amount"].startswith("金额超出可处理范围")
    with pytest.raises(PayloadInvalid) as minimum:
        _adjust(world, case, -(2**63))
    assert "金额超出可处理范围" in minimum.value.fields["amount"]
    _adjust(world, case, 15000)  # 150 元 of the 200 the bank returned
    with pytest.raises(PayloadInvalid) as second:
        _adjust(world, case, 6000)  # together 210 元 for a 200 元 month
    assert "已登记补发 150.00 元" in second.value.fields["amount"]
    _adjust(world, case, 5000)  # exactly the month
    world.session.rollback()
    assert world.session.query(PaymentAdjustment).count() == 2


def test_recovery_beyond_what_was_paid_is_refused(world: World) -> None:
    case = _signed_april(world)
    with pytest.raises(PayloadInvalid) as bad:
        _adjust(world, case, -20001)
    assert "扣回不能超过该月已发的金额" in bad.value.fields["amount"]
    _adjust(world, case, -20000)
    with pytest.raises(PayloadInvalid):
        _adjust(world, case, -1)  # nothing of April left to recover


def test_an_adjustment_above_the_configured_share_is_a_risk_finding(world: World) -> None:
    case = _signed_april(world)
    small = _adjust(world, case, 3000)  # 15 % of the month
    large = _adjust(world, case, -12000)  # 60 % > the rule set's 50 %
    may = _may(world)
    findings = world.session.scalars(
        select(RiskFinding).where(
            RiskFinding.roll_id == may.id, RiskFinding.check == "large_adjustment"
        )
    ).all()
    assert len(findings) == 1
    row = world.session.get(RollRow, findings[0].row_id)
    assert row is not None and row.adjustment_id == large.id != small.id
    assert "-120.00" in findings[0].detail and "200.00" in findings[0].detail
    assert "50%" in findings[0].detail


def test_the_preparer_withdraws_an_adjustment_before_the_check_and_not_after(
    world: World,
) -> None:
    s = world.session
    case = _signed_april(world)
    waiting = _adjust(world, case, 3000)
    in_roll = _adjust(world, case, 2000)
    with pytest.raises(PermissionDenied):
        withdraw_adjustment(s, world.actor("finance"), waiting.id, "登记错误", at(2026, 4, 21))
    with pytest.raises(PayloadInvalid):
        withdraw_adjustment(s, world.actor("reviewer"), waiting.id, " ", at(2026, 4, 21))
    withdraw_adjustment(s, world.actor("reviewer"), waiting.id, "重复登记", at(2026, 4, 21))
    s.rollback()
    logged = s.scalars(select(AdminEvent).order_by(AdminEvent.id.desc())).first()
    assert logged is not None and logged.action == "payment_adjustment_withdrawn"
    assert [p.adjustment.id for p in pending_adjustments(s, world.actor("reviewer"))] == [
        in_roll.id
    ]

    may = _may(world)
    rows = _live_adjustment_rows(world, may)
    assert [r.adjustment_id for r in rows] == [in_roll.id]  # the withdrawn one is not rolled
    assert may.total_fen == 22000
    withdraw_adjustment(s, world.actor("reviewer"), in_roll.id, "核实后无需补发", at(2026, 5, 2))
    s.expire_all()
    assert _live_adjustment_rows(world, may) == []
    assert s.get(PaymentRoll, may.id).total_fen == 20000  # type: ignore[union-attr]
    done = s.get(PaymentAdjustment, in_roll.id)
    assert done is not None and done.withdrawn_reason == "核实后无需补发"
    event = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == may.case_id).order_by(CaseEvent.seq.desc())
    ).first()
    assert event is not None and event.trigger == "withdraw_adjustment"
    s.rollback()
    fire(s, may.case_id, "cancel", world.actor("reviewer"), at(2026, 5, 2), {"reason": "重做"})
    again = _may(world, at(2026, 5, 3))
    assert _live_adjustment_rows(world, again) == []  # withdrawn stays withdrawn


def test_withdrawal_is_refused_once_the_roll_is_checked(world: World) -> None:
    s = world.session
    case = _signed_april(world)
    adj = _adjust(world, case, 3000)
    may = _may(world)
    row = _live_adjustment_rows(world, may)[0]
    s.rollback()
    fire(s, may.case_id, "check", world.actor("leader"), at(2026, 5, 2))
    with pytest.raises(PayloadInvalid) as refused:
        withdraw_adjustment(s, world.actor("reviewer"), adj.id, "晚了", at(2026, 5, 3))
    assert "名册已审核或签发" in refused.value.fields["adjustment"]
    with pytest.raises(TransitionNotAllowed):
        fire(
            s,
            may.case_id,
            "withdraw_adjustment",
            world.actor("reviewer"),
            at(2026, 5, 3),
            {"row_id": row.id, "reason": "晚了"},
        )
    s.rollback()
    assert s.get(PaymentAdjustment, adj.id).withdrawn_at is None  # type: ignore[union-attr]


def test_a_huge_value_stored_before_the_bounds_stops_the_roll_with_a_message(
    world: World,
) -> None:
    s = world.session
    case = _signed_april(world)
    ok = _adjust(world, case, 1000)
    s.add(
        PaymentAdjustment(
            township_id=ok.township_id,
            household_id=ok.household_id,
            case_id=case.id,
            for_month="2026-04",
            amount_fen=9 * 10**18,
            reason="旧数据",
            source="correction",
            created_at=at(2026, 4, 21),
            created_by_id=ok.created_by_id,
        )
    )
    s.commit()
    huge = s.scalars(select(PaymentAdjustment).order_by(PaymentAdjustment.id.desc())).first()
    assert huge is not None
    with pytest.raises(PayloadInvalid) as refused:
        _may(world)
    assert f"调整 #{huge.id}" in refused.value.fields["month"]
    assert "撤回" in refused.value.fields["month"]
    withdraw_adjustment(s, world.actor("reviewer"), huge.id, "错误数据", at(2026, 5, 1))
    may = _may(world)
    assert may.total_fen == 21000
