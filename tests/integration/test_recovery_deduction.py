"""追回 withheld from the payment rolls (扣减) where the rule set allows it: month by month at most
the rule set's share of the month's payment, recorded as repayments until the balance is zero;
refused, naming the rule, where the rule set does not allow it; a household's lines never add up
to less than zero; a cancelled roll gives the balance back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from payments_support import TOWNSHIP, approve, at, sign
from sqlalchemy import select
from support import World

from caseflow.db.models import Case, Household
from caseflow.engine.fire import fire
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import GuardFailed, PermissionDenied
from caseflow.oversight.models import RecoveryPayment
from caseflow.oversight.recovery import balance, propose_recovery, recovery_of
from caseflow.payments.adjustments import add_adjustment
from caseflow.payments.entitlements import amount_in, versions_of
from caseflow.payments.models import MONTHLY, RECOVERY_DEDUCTION, PaymentRoll, RollRow
from caseflow.payments.roll import prepare_roll
from caseflow.workflow.registry import registry

NOW = at(2026, 7, 10)
DISTRICT_RULES = "ningxia-640502-2021"  # the cases' rule set: allows it, 30 % (待核实 example)


def _rules(monkeypatch: pytest.MonkeyPatch, **params: object) -> None:
    """The district rule set with `params` changed, for this test only."""
    rs = registry().rulesets[DISTRICT_RULES]
    changed = replace(rs, params={**rs.params, **params})
    monkeypatch.setitem(registry().rulesets, DISTRICT_RULES, changed)


def _decided(world: World, share_percent: int) -> tuple[Case, Case, int]:
    """An approved 低保 case paid from April, and its recovery decided at `share_percent` % of
    one month's payment (in state repaying). Returns (source, recovery case, monthly fen)."""
    s = world.session
    source = approve(world, at(2026, 3, 20))
    monthly = amount_in(versions_of(s, [source.id])[source.id], "2026-07")
    assert monthly > 0
    form = {"case_no": source.case_no, "from_month": "2026-04", "to_month": "2026-06"}
    case = propose_recovery(s, world.actor("reviewer"), {**form, "cause": "fraud"}, NOW)
    assert case.ruleset_key == DISTRICT_RULES
    amount = monthly * share_percent // 100
    fire(s, case.id, "decide_recovery", world.actor("approver"), NOW, {
        "amount_fen": amount, "reasons": "骗取",
    })  # fmt: skip
    return source, case, monthly


def _start(world: World, case: Case) -> None:
    fire(world.session, case.id, "start_roll_deduction", world.actor("approver"), NOW, {
        "reasons": "当事人无力一次退还，经区民政局决定按月扣减",
    })  # fmt: skip


def _prepare(world: World, month: str) -> PaymentRoll:
    y, m = (int(x) for x in month.split("-"))
    return prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, month, at(y, m, 1))


def _rows(world: World, roll: PaymentRoll, household_id: int) -> list[RollRow]:
    return list(
        world.session.scalars(
            select(RollRow).where(
                RollRow.roll_id == roll.id,
                RollRow.household_id == household_id,
                RollRow.removed_at.is_(None),
            )
        )
    )


def _withheld(world: World, roll: PaymentRoll, household_id: int) -> int:
    return -sum(
        r.amount_fen for r in _rows(world, roll, household_id) if r.kind == RECOVERY_DEDUCTION
    )


def test_the_balance_is_withheld_month_by_month_within_the_cap_until_zero(world: World) -> None:
    s = world.session
    source, case, monthly = _decided(world, 45)  # 45 % of a month: 30 % + 15 %
    row = recovery_of(s, case.id)
    decided = monthly * 45 // 100
    _start(world, case)
    s.refresh(case)
    assert case.state == "deducting"

    july = _prepare(world, "2026-07")
    cap = monthly * 30 // 100
    assert _withheld(world, july, source.household_id) == cap  # the cap, not the whole balance
    (line,) = [r for r in _rows(world, july, source.household_id) if r.kind == RECOVERY_DEDUCTION]
    assert case.case_no in line.note and "30%" in line.note and line.case_id == case.id
    assert sum(r.amount_fen for r in _rows(world, july, source.household_id)) == monthly - cap
    assert july.total_fen == sum(
        r.amount_fen for r in s.scalars(select(RollRow).where(RollRow.roll_id == july.id))
    )
    (paid,) = s.scalars(select(RecoveryPayment).where(RecoveryPayment.recovery_id == row.id))
    assert (paid.amount_fen, paid.roll_row_id) == (cap, line.id)
    assert balance(s, row) == decided - cap
    # The monthly row still pays the whole entitlement: nothing is owed back to the household.
    assert [r.amount_fen for r in _rows(world, july, source.household_id) if r.kind == MONTHLY] == [
        monthly
    ]
    sign(world, july, at(2026, 7, 3))

    august = _prepare(world, "2026-08")
    assert _withheld(world, august, source.household_id) == decided - cap  # only what is left
    assert balance(s, row) == 0
    sign(world, august, at(2026, 8, 3))
    september = _prepare(world, "2026-09")
    assert _withheld(world, september, source.household_id) == 0  # stops at zero
    assert not any(r.kind == "correction" for r in _rows(world, september, source.household_id))
    fire(s, case.id, "settle_recovery", world.actor("finance"), at(2026, 9, 2))
    s.refresh(case)
    assert case.state == "settled"


def test_refused_naming_the_rule_where_the_rule_set_does_not_allow_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = world.session
    _rules(monkeypatch, recovery_roll_deduction_allowed=False)
    source, case, _ = _decided(world, 45)
    with pytest.raises(GuardFailed) as err:
        _start(world, case)
    message = err.value.message_zh
    assert "不允许从发放名册扣减追回款" in message and "recovery_roll_deduction_allowed" in message
    s.rollback()
    s.refresh(case)
    assert case.state == "repaying"
    july = _prepare(world, "2026-07")
    assert _withheld(world, july, source.household_id) == 0
    assert balance(s, recovery_of(s, case.id)) > 0


def test_the_national_rules_do_not_allow_it() -> None:
    national = registry().rulesets["national-2021"]
    assert national.param("recovery_roll_deduction_allowed") is False
    assert "第六十八条" in national.source_of("recovery_roll_deduction_allowed")
    district = registry().rulesets[DISTRICT_RULES]
    assert district.source_of("recovery_roll_deduction_allowed").startswith("待核实")
    assert district.source_of("recovery_roll_deduction_max_percent").startswith("待核实")


def test_a_household_never_gets_less_than_zero(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = world.session
    source, case, monthly = _decided(world, 100)
    _start(world, case)
    july = _prepare(world, "2026-07")
    withheld = _withheld(world, july, source.household_id)
    sign(world, july, at(2026, 7, 3))
    # A 扣回 of most of July's payment rides on August's roll; the whole month may be withheld.
    _rules(monkeypatch, recovery_roll_deduction_max_percent=100)
    back = monthly * 9 // 10
    add_adjustment(
        s, world.actor("reviewer"), household_id=source.household_id, case_id=source.id,
        for_month="2026-07", amount_fen=-back, reason="重复发放", now=at(2026, 7, 20),
    )  # fmt: skip
    august = _prepare(world, "2026-08")
    assert _withheld(world, august, source.household_id) == monthly - back  # not the balance
    assert sum(r.amount_fen for r in _rows(world, august, source.household_id)) == 0
    row = recovery_of(s, case.id)
    left = monthly - withheld - (monthly - back)
    assert balance(s, row) == left
    # Taking the month's payment out of the roll takes the deduction with it (nothing left to
    # withhold from), and the balance comes back.
    (monthly_row,) = [r for r in _rows(world, august, source.household_id) if r.kind == MONTHLY]
    s.rollback()
    fire(s, august.case_id, "remove_row", world.actor("reviewer"), at(2026, 8, 2), {
        "row_id": monthly_row.id, "reason": "账户冻结",
    })  # fmt: skip
    assert [r.amount_fen for r in _rows(world, august, source.household_id)] == [-back]
    assert _withheld(world, august, source.household_id) == 0
    assert balance(s, row) == left + (monthly - back)


def test_a_cancelled_roll_gives_the_balance_back_and_no_deduction_is_made_up_by_hand(
    world: World,
) -> None:
    s = world.session
    source, case, monthly = _decided(world, 45)
    row = recovery_of(s, case.id)
    before = balance(s, row)
    _start(world, case)
    july = _prepare(world, "2026-07")
    monthly_row = next(r for r in _rows(world, july, source.household_id) if r.kind == MONTHLY)
    s.rollback()
    with pytest.raises(GuardFailed) as err:  # a deduction only for a roll row that withholds it
        fire(s, case.id, "deduct_from_roll", SYSTEM_ACTOR, NOW, {
            "amount_fen": 100, "paid_on": "2026-07-10", "roll_row_id": monthly_row.id,
        })  # fmt: skip
    assert "扣减行" in err.value.message_zh
    with pytest.raises(PermissionDenied):  # never by a person, from a page or otherwise
        fire(s, case.id, "deduct_from_roll", world.actor("reviewer"), NOW, {
            "amount_fen": 100, "paid_on": "2026-07-10", "roll_row_id": monthly_row.id,
        })  # fmt: skip
    s.rollback()
    assert balance(s, row) == before - monthly * 30 // 100
    fire(s, july.case_id, "cancel", world.actor("reviewer"), at(2026, 7, 2), {"reason": "重编"})
    assert balance(s, row) == before
    again = _prepare(world, "2026-07")
    assert _withheld(world, again, source.household_id) == monthly * 30 // 100
    assert balance(s, row) == before - monthly * 30 // 100


def test_a_preparer_who_must_step_aside_from_the_household_still_prepares_the_roll(
    world: World,
) -> None:
    s = world.session
    source, case, monthly = _decided(world, 45)
    _start(world, case)
    household = s.get_one(Household, source.household_id)
    world.declare_relative(household, "reviewer")  # the preparer is a near relative
    july = _prepare(world, "2026-07")
    assert _withheld(world, july, source.household_id) == monthly * 30 // 100
    (paid,) = s.scalars(select(RecoveryPayment))
    assert paid.recorded_by_id is None  # recorded by the system, the roll names its preparer
