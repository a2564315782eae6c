"""追回: the months and amounts overpaid come from the entitlement history; the district never
decides more than was overpaid; repayments count the balance down to zero before it settles."""

from __future__ import annotations

import pytest
from payments_support import approve, at
from sqlalchemy import func, select
from support import World

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid
from caseflow.oversight.models import Recovery
from caseflow.oversight.recovery import balance, propose_recovery, recovery_of
from caseflow.payments.entitlements import amount_in, versions_of

NOW = at(2026, 7, 10)


def _form(case: Case, **kw: str) -> dict[str, str]:
    base = {"case_no": case.case_no, "from_month": "2026-04", "to_month": "2026-06"}
    return {**base, "due_monthly": "", "cause": "fraud", **kw}


def test_a_recovery_is_decided_within_the_overpaid_and_repaid_to_zero(world: World) -> None:
    s = world.session
    source = approve(world, at(2026, 3, 20))
    monthly = amount_in(versions_of(s, [source.id])[source.id], "2026-05")
    assert monthly > 0
    case = propose_recovery(s, world.actor("reviewer"), _form(source), NOW)
    row = recovery_of(s, case.id)
    assert (case.state, case.case_no[:3]) == ("proposed", "ZH-")
    assert row.overpaid_fen == sum(over for _, _, over in row.months)
    assert [m for m, _, _ in row.months] == ["2026-04", "2026-05", "2026-06"]
    approver = world.actor("approver")
    too_much = {"amount_fen": row.overpaid_fen + 1, "reasons": "骗取"}
    with pytest.raises(GuardFailed) as err:
        fire(s, case.id, "decide_recovery", approver, NOW, too_much)
    assert "不能超过多发金额" in str(err.value)
    fire(
        s, case.id, "decide_recovery", approver, NOW, {"amount_fen": 2 * monthly, "reasons": "骗取"}
    )
    s.refresh(row)
    assert balance(s, row) == 2 * monthly
    finance = world.actor("finance")
    with pytest.raises(GuardFailed):
        fire(s, case.id, "record_repayment", finance, NOW, {
            "amount_fen": 2 * monthly + 1, "paid_on": "2026-07-10",
        })  # fmt: skip
    fire(s, case.id, "record_repayment", finance, NOW, {
        "amount_fen": monthly, "paid_on": "2026-07-10",
    })  # fmt: skip
    with pytest.raises(GuardFailed) as left:
        fire(s, case.id, "settle_recovery", finance, NOW)
    assert "未追回" in str(left.value)
    fire(s, case.id, "record_repayment", finance, NOW, {
        "amount_fen": monthly, "paid_on": "2026-07-11",
    })  # fmt: skip
    fire(s, case.id, "settle_recovery", finance, at(2026, 7, 12))
    s.refresh(case)
    assert case.state == "settled" and balance(s, row) == 0


def test_an_amount_wrong_recovers_only_the_difference(world: World) -> None:
    s = world.session
    source = approve(world, at(2026, 3, 20))
    monthly = amount_in(versions_of(s, [source.id])[source.id], "2026-05")
    due = monthly - 5000  # 50 yuan a month too much
    form = _form(source, due_monthly=f"{due / 100:.2f}", cause="error")
    row = recovery_of(s, propose_recovery(s, world.actor("supervisor"), form, NOW).id)
    assert row.overpaid_fen == 3 * 5000 and row.due_monthly_fen == due


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_no": "DB-NOPE"}, "case_no"),
        ({"from_month": "2026-06", "to_month": "2026-04"}, "to_month"),
        ({"to_month": "2026-12"}, "to_month"),
        ({"from_month": "2026年4月"}, "from_month"),
        ({"due_monthly": "很多"}, "due_monthly"),
        ({"due_monthly": "99999"}, "from_month"),  # nothing overpaid at that due amount
        ({"cause": ""}, "cause"),
    ],
)
def test_bad_recovery_input_is_refused_field_by_field_and_nothing_written(
    world: World, changes: dict[str, str], field: str
) -> None:
    s = world.session
    source = approve(world, at(2026, 3, 20))
    before = s.scalar(select(func.count()).select_from(Case))
    with pytest.raises(PayloadInvalid) as err:
        propose_recovery(s, world.actor("reviewer"), _form(source, **changes), NOW)
    assert field in err.value.fields
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Case)) == before
    assert s.scalar(select(func.count()).select_from(Recovery)) == 0


def test_another_townships_case_cannot_be_recovered_by_a_township(world: World) -> None:
    source = approve(world, at(2026, 3, 20))
    with pytest.raises(PayloadInvalid) as err:
        propose_recovery(world.session, world.actor("other_reviewer"), _form(source), NOW)
    assert set(err.value.fields) == {"case_no"}
