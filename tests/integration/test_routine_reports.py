"""The routine reports' figures (户1人保, C类, 分类施保 by township and month, 对象变动) and the
standing publicity list, from the entitlement history, within the reader's jurisdiction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from support import T0, World
from walker import Walker, shortest_path

from caseflow.db.models import Case, OrgUnit
from caseflow.engine.fire import fire, open_case
from caseflow.payments import entitlements
from caseflow.payments.models import ADJUST, STOP
from caseflow.read import reports as rp
from caseflow.read.standing_publicity import standing_list
from caseflow.workflow.registry import registry

SH = ZoneInfo("Asia/Shanghai")
DECIDED = datetime(2026, 3, 20, 10, tzinfo=SH)  # payment starts 2026-04


def _approved(world: World, size: int, cls: str, covered: int, *, other: bool = False) -> Case:
    walker = Walker(world, T0)
    hh = world.household(size=size)
    case = open_case(world.session, "dibao", hh.id, world.actor("clerk"), walker.tick())
    for t in shortest_path(registry().workflow("dibao"), "district_review"):
        walker.step(case, t)
    assert case.household is not None
    members = [m.id for m in case.household.members][:covered]
    payload = {"covered_members": members, "aid_class": cls}
    fire(world.session, case.id, "approve", world.actor("approver"), DECIDED, payload)
    world.session.refresh(case)
    if other:  # test data: the same household as if it lived in the other township
        _move(world, case, world.other_township)
    return case


def _move(world: World, case: Case, unit: OrgUnit) -> None:
    assert case.household is not None
    case.org_unit_id, case.org_path = unit.id, unit.path
    case.household.org_unit_id, case.household.org_path = unit.id, unit.path
    world.session.commit()


def _amount(world: World, case: Case) -> int:
    newest = entitlements.latest(world.session, case.id)
    assert newest is not None
    return newest.amount_fen


def _version(world: World, case: Case, kind: str, month: str, **terms: object) -> None:
    """A later version of the case's entitlement (as a review's adjustment or a removal writes
    it inside fire(); here written directly to set the terms the reports must read)."""
    newest = entitlements.latest(world.session, case.id)
    assert newest is not None
    values: dict[str, object] = {
        "amount_fen": newest.amount_fen,
        "covered_member_ids": newest.covered_member_ids,
        "aid_class": newest.aid_class,
    }
    values.update(terms)
    entitlements.record(
        world.session,
        case,
        kind=kind,
        effective_month=month,
        computed_fen=int(values["amount_fen"]),  # type: ignore[call-overload]
        source_case=case,
        trigger="test",
        actor=world.actor("approver"),
        at=DECIDED,
        **values,  # type: ignore[arg-type]
    )
    world.session.commit()


def test_classified_counts_and_amounts_by_township_month_and_class(world: World) -> None:
    b = _approved(world, 3, "B", 2)
    c1 = _approved(world, 3, "C", 3)
    c2 = _approved(world, 1, "C", 1)
    far = _approved(world, 2, "A", 2, other=True)
    _version(world, c2, STOP, "2026-06", amount_fen=0)
    months = rp.months_from("2026-03", "2026-06")
    lines = rp.classified(world.session, world.actor("supervisor"), months)
    by = {(line.month, line.township_code): line for line in lines}
    assert not any(m == "2026-03" for m, _ in by)  # decided in March: paid from April
    april = by[("2026-04", "640502100")]
    assert (april.by_class["B"].households, april.by_class["B"].persons) == (1, 2)
    assert (april.by_class["C"].households, april.by_class["C"].persons) == (2, 4)
    assert april.by_class["A"].households == 0
    assert april.by_class["C"].amount_fen == _amount(world, c1) + 0 + _first(world, c2)
    assert april.total.amount_fen == _amount(world, b) + _amount(world, c1) + _first(world, c2)
    assert by[("2026-04", "640502101")].by_class["A"].amount_fen == _amount(world, far)
    june = by[("2026-06", "640502100")]
    assert (june.by_class["C"].households, june.by_class["C"].persons) == (1, 3)  # c2 stopped
    # A township reviewer sees only the own township.
    own = rp.classified(world.session, world.actor("reviewer"), months)
    assert {line.township_code for line in own} == {"640502100"}
    assert rp.classified(world.session, world.actor("other_reviewer"), ["2026-03"]) == []


def _first(world: World, case: Case) -> int:
    granted = entitlements.granted_entitlement(world.session, case.id)
    assert granted is not None
    return granted.amount_fen


def test_changes_of_a_month_name_new_removed_and_changed_recipients(world: World) -> None:
    b = _approved(world, 3, "B", 2)
    c = _approved(world, 1, "C", 1)
    _approved(world, 2, "A", 2, other=True)
    supervisor = world.actor("supervisor")
    april = rp.changes_in(world.session, supervisor, "2026-04")
    assert sorted(ch.kind for ch in april.changes) == [rp.NEW] * 3
    assert april.counts == {
        "640502100": {"new": 2, "removed": 0, "changed": 0},
        "640502101": {"new": 1, "removed": 0, "changed": 0},
    }
    _version(world, b, ADJUST, "2026-06", aid_class="C", amount_fen=_amount(world, b) - 1000)
    _version(world, c, STOP, "2026-06", amount_fen=0)
    assert rp.changes_in(world.session, supervisor, "2026-05").changes == []
    june = rp.changes_in(world.session, world.actor("reviewer"), "2026-06")
    kinds = {ch.case.case_no: ch.kind for ch in june.changes}
    assert kinds == {b.case_no: rp.CHANGED, c.case_no: rp.REMOVED}
    changed = next(ch for ch in june.changes if ch.kind == rp.CHANGED)
    assert "类别 B→C" in changed.what and "月保障金" in changed.what
    assert rp.changes_in(world.session, world.actor("other_reviewer"), "2026-06").changes == []


def test_single_covered_and_class_c_lists_read_the_newest_terms(world: World) -> None:
    b = _approved(world, 3, "B", 2)
    c = _approved(world, 3, "C", 3)
    _approved(world, 2, "C", 2, other=True)
    reviewer = world.actor("reviewer")
    assert rp.single_covered_cases(world.session, reviewer) == []
    # A review cuts the covered persons of the B household to one (户1人保).
    assert b.household is not None
    _version(world, b, ADJUST, "2026-07", covered_member_ids=[b.household.members[0].id])
    single = rp.single_covered_cases(world.session, reviewer)
    assert [(r.case_no, r.covered, r.household_size) for r in single] == [(b.case_no, 1, 3)]
    class_c = rp.class_c_cases(world.session, reviewer)
    assert [row.case.case_no for row in class_c] == [c.case_no]  # the other township's is not
    assert class_c[0].next_review_on is not None  # planned by the approval
    district = rp.class_c_cases(world.session, world.actor("supervisor"))
    assert len(district) == 2


def test_standing_publicity_lists_recipients_in_payment_with_masked_names(world: World) -> None:
    b = _approved(world, 3, "B", 2)
    stopped = _approved(world, 1, "C", 1)
    _version(world, stopped, STOP, "2026-05", amount_fen=0)
    clerk = world.actor("clerk")
    april = standing_list(world.session, clerk, world.village.code, "2026-04")
    assert [(r.name, r.support_class, r.covered) for r in april.rows] == [
        ("王*明", "B类", 2),
        ("王*明", "C类", 1),
    ]
    assert april.total_fen == _amount(world, b) + _first(world, stopped)
    may = standing_list(world.session, clerk, world.township.code, "2026-05")
    assert [(r.village, r.programme, r.amount_fen) for r in may.rows] == [
        ("示例村", "低保", _amount(world, b))
    ]
    assert all("王大明" not in r.name for r in may.rows)
    assert standing_list(world.session, clerk, world.village.code, "2026-03").rows == []
