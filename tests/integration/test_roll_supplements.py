"""Supplementary rolls (补发名单): a case approved after its township's roll for a month was
prepared is paid for that month by a supplement through the same check and sign-off, counted by
reconciliation, and never paid twice — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from payments_support import TOWNSHIP, approve, at, sign
from sqlalchemy import Engine, select
from support import World
from walker import Walker

from caseflow.cli.main import main
from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.kernel.errors import PayloadInvalid, TransitionNotAllowed
from caseflow.payments.models import MONTHLY, ONE_OFF, PaymentRoll, RollRow
from caseflow.payments.reconcile import reconcile
from caseflow.payments.roll import prepare_roll
from caseflow.payments.supplement import prepare_supplement
from caseflow.workflow.registry import registry


def _prepare(world: World, month: str, *, supplement: bool = False) -> PaymentRoll:
    world.session.rollback()
    make = prepare_supplement if supplement else prepare_roll
    return make(world.session, world.actor("reviewer"), TOWNSHIP, month, at(2026, 3, 25))


def _lines(world: World, roll: PaymentRoll) -> list[tuple[int | None, str, str, int]]:
    world.session.expire_all()
    return [
        (r.case_id, r.kind, r.for_month, r.amount_fen)
        for r in world.session.scalars(
            select(RollRow)
            .where(RollRow.roll_id == roll.id, RollRow.removed_at.is_(None))
            .order_by(RollRow.id)
        )
    ]


def _refusal(world: World, month: str) -> str:
    with pytest.raises(PayloadInvalid) as refused:
        _prepare(world, month, supplement=True)
    world.session.rollback()
    return refused.value.fields["month"]


def test_a_late_approval_is_paid_by_a_supplement_for_the_same_month(world: World) -> None:
    early = approve(world, at(2026, 3, 10), amount=20000)
    april = _prepare(world, "2026-04")
    late = approve(world, at(2026, 3, 28), amount=30000)  # after the April roll was prepared
    assert [c for c, *_ in _lines(world, april)] == [early.id]
    assert [
        d.case_id
        for d in reconcile(world.session, world.actor("supervisor"), "2026-04").differences
    ] == [late.id]  # 应发未发 until a roll pays it
    with pytest.raises(PayloadInvalid):  # the regular roll stays one per month
        _prepare(world, "2026-04")
    assert "尚未审核" in _refusal(world, "2026-04")  # void and prepare again instead
    assert "尚未编制发放名册" in _refusal(world, "2026-05")

    fire(world.session, april.case_id, "check", world.actor("leader"), at(2026, 3, 26))
    supplement = _prepare(world, "2026-04", supplement=True)
    assert supplement.supplement_no == 1 and supplement.month == "2026-04"
    assert _lines(world, supplement) == [(late.id, MONTHLY, "2026-04", 30000)]
    assert (supplement.row_count, supplement.total_fen) == (1, 30000)
    roll_case = world.session.get(Case, supplement.case_id)
    assert roll_case is not None and roll_case.state == "prepared"
    assert "第1次补发名单" in roll_case.summary
    result = reconcile(world.session, world.actor("supervisor"), "2026-04")
    assert result.differences == [] and result.townships == ["滨河镇"]

    # The supplement goes through the same check and sign-off as the roll it supplements.
    with pytest.raises(TransitionNotAllowed):
        fire(world.session, supplement.case_id, "sign", world.actor("finance"), at(2026, 3, 27))
    world.session.rollback()
    sign(world, supplement, at(2026, 3, 27))
    assert "没有需要补发的对象" in _refusal(world, "2026-04")  # nothing is paid twice
    fire(world.session, april.case_id, "sign", world.actor("finance"), at(2026, 3, 27))
    world.session.expire_all()
    assert world.session.get(PaymentRoll, supplement.id).signed_at is not None  # type: ignore[union-attr]

    # May pays both once; April needs no correction, the supplement paid it.
    may = _prepare(world, "2026-05")
    assert sorted(_lines(world, may)) == sorted(
        [(early.id, MONTHLY, "2026-05", 20000), (late.id, MONTHLY, "2026-05", 30000)]
    )


def test_a_row_removed_from_the_months_roll_is_not_put_back_by_a_supplement(
    world: World,
) -> None:
    kept = approve(world, at(2026, 3, 10), amount=20000)
    doubtful = approve(world, at(2026, 3, 11), amount=30000)
    april = _prepare(world, "2026-04")
    row = world.session.scalar(
        select(RollRow.id).where(RollRow.roll_id == april.id, RollRow.case_id == doubtful.id)
    )
    assert row is not None
    sign(world, april, at(2026, 3, 26), remove={row: "待核实户籍"})
    assert "没有需要补发的对象" in _refusal(world, "2026-04")
    late = approve(world, at(2026, 3, 29), amount=25000)
    supplement = _prepare(world, "2026-04", supplement=True)
    assert [c for c, *_ in _lines(world, supplement)] == [late.id]
    assert kept.id not in [c for c, *_ in _lines(world, supplement)]
    # A second supplement for the month is numbered on.
    sign(world, supplement, at(2026, 3, 30))
    again = approve(world, at(2026, 3, 30), amount=26000)
    second = _prepare(world, "2026-04", supplement=True)
    assert second.supplement_no == 2 and [c for c, *_ in _lines(world, second)] == [again.id]


def test_the_cli_prepares_a_supplement_and_says_why_it_cannot(engine: Engine, world: World) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def run(*extra: str) -> tuple[int, str]:
        args = ["roll", "prepare", "--township", TOWNSHIP, "--month", "2026-04", "--user"]
        result = CliRunner().invoke(
            main, [*args, "reviewer", *extra], env={"CASEFLOW_DATABASE_URL": url}
        )
        return result.exit_code, result.output

    approve(world, at(2026, 3, 10), amount=20000)
    code, out = run()
    assert code == 0 and "已编制名册" in out and "1 行" in out, out
    code, out = run("--supplement")
    assert code == 1 and "尚未审核" in out and "month" not in out  # no internal field names
    world.session.rollback()
    april = world.session.scalars(select(PaymentRoll)).one()
    fire(world.session, april.case_id, "check", world.actor("leader"), at(2026, 3, 26))
    late = approve(world, at(2026, 3, 28), amount=30000)
    code, out = run("--supplement")
    assert code == 0 and "第1次补发名单" in out and "1 行" in out and "300.00 元" in out, out
    world.session.rollback()
    made = world.session.scalars(select(PaymentRoll).where(PaymentRoll.supplement_no == 1)).one()
    assert [c for c, *_ in _lines(world, made)] == [late.id]


def test_temporary_aid_approved_after_the_roll_is_paid_by_the_supplement_and_recorded(
    world: World,
) -> None:
    temporary = registry().workflow("temporary")
    first = Walker(world, at(2026, 5, 4, 9)).to_state(temporary, "approved")
    s = world.session
    may = prepare_roll(s, world.actor("reviewer"), TOWNSHIP, "2026-05", at(2026, 5, 6))
    fire(s, may.case_id, "check", world.actor("leader"), at(2026, 5, 7))
    later = Walker(world, at(2026, 5, 8, 9)).to_state(temporary, "approved")
    s.rollback()
    supplement = prepare_supplement(
        s, world.actor("reviewer"), TOWNSHIP, "2026-05", at(2026, 5, 20)
    )
    assert [(c, k) for c, k, *_ in _lines(world, supplement)] == [(later.id, ONE_OFF)]
    sign(world, supplement, at(2026, 5, 21))
    s.expire_all()
    assert s.get(Case, later.id).state == "paid"  # type: ignore[union-attr]
    # May's own roll is not signed yet: its case waits.
    assert s.get(Case, first.id).state == "approved"  # type: ignore[union-attr]
