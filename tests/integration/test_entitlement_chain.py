"""Money as one chain: whatever the decisions and whenever they arrive, the rolls pay, month by
month, exactly the entitlement in force (reconciliation finds nothing).

A property test: hypothesis draws sequences of decisions — new versions effective next month,
提标 back-dated to a month already paid, reductions, stops, restarts — interleaved with monthly
rolls that are prepared and signed. After every roll the reconciliation of that month must be
empty, and the rows of all rolls for each month must add up to the history's amount for it.
The versions are appended as the effects do (`entitlements.record`); the effects' own choices
(what a review or 提标 computes) are tested by the scenario tests beside this one.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments_support import TOWNSHIP, approve, at
from sqlalchemy import select
from support import World

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.payments import entitlements
from caseflow.payments.entitlement import paid_by_month
from caseflow.payments.models import ADJUST, RISE, STOP, PaymentRoll, RiskFinding
from caseflow.payments.months import add_months
from caseflow.payments.reconcile import reconcile
from caseflow.payments.roll import prepare_roll

SH = ZoneInfo("Asia/Shanghai")
# Each example works in years of its own: a township has one live roll per month.
_YEARS = itertools.count(2030)

amounts = st.integers(min_value=0, max_value=300_000)
decision = st.one_of(
    st.tuples(st.just("change"), st.integers(0, 2), amounts),  # from 0–2 months ahead
    st.tuples(st.just("backdate"), st.integers(1, 4), amounts),  # 提标 with back pay
    st.tuples(st.just("stop"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("roll"), st.just(0), st.just(0)),
)


def _sign(world: World, roll: PaymentRoll, when: datetime) -> None:
    s = world.session
    s.rollback()
    fire(s, roll.case_id, "check", world.actor("leader"), when)
    for fid in s.scalars(select(RiskFinding.id).where(RiskFinding.roll_id == roll.id)).all():
        s.rollback()
        note = {"finding_id": fid, "note": "已核实"}
        fire(s, roll.case_id, "acknowledge_finding", world.actor("finance"), when, note)
    s.rollback()
    fire(s, roll.case_id, "sign", world.actor("finance"), when)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(decision, min_size=1, max_size=10))
def test_every_roll_pays_the_entitlement_in_force(
    world: World, steps: list[tuple[str, int, int]]
) -> None:
    year = next(_YEARS)
    case = _case(world)
    month = f"{year}-01"
    # The case was approved in 2026; in this example's years it is paid at 100 元 from January.
    _version(world, case, RISE, month, 10_000)
    rolled: list[str] = []
    for kind, offset, amount in [*steps, ("roll", 0, 0)]:
        if kind == "roll":
            when = datetime(int(month[:4]), int(month[5:]), 1, 9, tzinfo=SH)
            roll = prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, month, when)
            _sign(world, roll, when)
            rolled.append(month)
            result = reconcile(world.session, world.actor("finance"), month)
            assert result.differences == [], [d.line_zh() for d in result.differences]
            month = add_months(month, 1)
        elif kind == "backdate":
            back = max(f"{year}-01", add_months(month, -offset))
            _version(world, case, RISE, back, amount)
        else:
            later = add_months(month, offset)
            _version(world, case, STOP if kind == "stop" else ADJUST, later, amount)
    # Every month rolled: what all live rolls paid for it is what the history says.
    history = entitlements.versions_of(world.session, [case.id])[case.id]
    township = world.session.scalar(select(PaymentRoll.township_id).limit(1))
    assert township is not None
    paid = paid_by_month(world.session, township, up_to=rolled[-1])
    for m in rolled:
        assert paid.get((case.id, m), 0) == entitlements.amount_in(history, m), m


def _case(world: World) -> Case:
    """One approved 低保 case per database (its household is paid in every example)."""
    case_id = world.session.scalar(
        select(Case.id).where(Case.case_type == "dibao", Case.state == "approved").limit(1)
    )
    case = world.session.get(Case, case_id) if case_id else approve(world, at(2026, 3, 10))
    assert case is not None
    return case


def _version(world: World, case: Case, kind: str, month: str, amount: int) -> None:
    world.session.rollback()
    entitlements.record(
        world.session,
        case,
        kind=kind,
        effective_month=month,
        amount_fen=0 if kind == STOP else amount,
        computed_fen=0 if kind == STOP else amount,
        source_case=case,
        trigger="test",
        actor=world.actor("approver"),
        at=datetime(int(month[:4]), int(month[5:]), 1, 8, tzinfo=SH),
    )
    world.session.commit()


def test_cli_reconcile_exits_1_on_a_difference(world: World, engine: object) -> None:
    from click.testing import CliRunner
    from sqlalchemy import Engine, update

    from caseflow.cli.main import main
    from caseflow.payments.models import RollRow

    assert isinstance(engine, Engine)
    approve(world, at(2026, 3, 10))
    roll = prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 4, 1))
    env = {"CASEFLOW_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    ok = runner.invoke(main, ["payments", "reconcile", "--month", "2026-04"], env=env)
    assert ok.exit_code == 0 and "差异 0 处" in ok.output, ok.output
    bad = runner.invoke(main, ["payments", "reconcile", "--month", "2026/04"], env=env)
    assert bad.exit_code == 2 and "月份格式应为 YYYY-MM" in bad.output
    world.session.execute(update(RollRow).where(RollRow.roll_id == roll.id).values(amount_fen=1))
    world.session.commit()
    found = runner.invoke(main, ["payments", "reconcile", "--month", "2026-04"], env=env)
    assert found.exit_code == 1 and "少发" in found.output and "差异 1 处" in found.output
