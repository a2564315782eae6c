"""孤儿 / 事实无人抚养儿童: the guardian's application, township review, district decision with the
monthly allowance at the dated standard, ending on majority (by hand, and by the timer on the
18th birthday, paid through the birthday's month); a child of 18 is refused at intake."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from payments_support import at
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from support import World

from caseflow.casework.orphans import (
    OrphanApplication,
    majority_cutoff,
    majority_day,
    open_orphan_case,
)
from caseflow.cli.main import main
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, CaseEvent, Household, Member
from caseflow.engine.fire import fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid
from caseflow.kernel.idnumber import make_id_number
from caseflow.ledger.units import system_units
from caseflow.payments.entitlements import amount_in, versions_of
from caseflow.payments.models import RollRow
from caseflow.payments.rise import approve_rise_list, rise_list
from caseflow.payments.roll import prepare_roll
from caseflow.policy.store import enter_policy, policy_table
from caseflow.timer.sweep import sweep

NOW = at(2026, 3, 10)
GUARDIAN_ID = make_id_number("640502", date(1950, 1, 1), 9)


def _child_household(world: World, born: date) -> tuple[Household, Member]:
    hh = world.household(size=1)  # the grandparent as head
    child = Member(
        household_id=hh.id,
        name="王小宝",
        relation="孙子女",
        sex="M",
        birth_date=born,
        id_number=make_id_number("640502", born, hh.id * 10 + 7),
    )
    world.session.add(child)
    world.session.commit()
    return hh, child


def _application(hh: Household, child: Member, **kw: str) -> OrphanApplication:
    app = OrphanApplication(
        household_id=hh.id,
        child_member_id=child.id,
        guardian_name="王大明",
        guardian_relation="祖父母",
        guardian_id_number=GUARDIAN_ID,
        father_status="dead",
        mother_status="imprisoned",
        setting="dispersed",
    )
    return replace(app, **kw)


def _standard(world: World, setting: str, day: date | None = None) -> int:
    """The allowance the dated policy configuration sets for `setting` on `day` (NOW's day)."""
    table = policy_table(world.session, "640502")
    return table.orphan_standard(day or NOW.date())[1].monthly_fen(setting)


def _decide(world: World, case: Case) -> None:
    """Township review and the district's approval (the allowance granted)."""
    s = world.session
    fire(s, case.id, "submit_to_township", world.actor("clerk"), NOW)
    fire(s, case.id, "township_approve", world.actor("reviewer"), NOW, {"opinion": "属实"})
    fire(s, case.id, "approve", world.actor("approver"), NOW)


def test_orphan_case_runs_from_the_guardians_application_to_the_allowance_and_majority(
    world: World,
) -> None:
    s = world.session
    hh, child = _child_household(world, date(2008, 6, 1))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    assert case.state == "accepted" and case.case_no.startswith("GE-")
    assert "事实无人抚养儿童" in case.summary
    _decide(world, case)
    s.refresh(case)
    assert case.state == "approved" and not case.is_final
    history = versions_of(s, [case.id])[case.id]
    assert amount_in(history, "2026-04") == _standard(world, "dispersed")
    assert history[-1].covered_member_ids == [child.id]
    with pytest.raises(GuardFailed, match="未满18周岁"):
        fire(s, case.id, "end_majority", world.actor("reviewer"), at(2026, 5, 31))
    fire(s, case.id, "end_majority", world.actor("reviewer"), at(2026, 6, 2))
    s.refresh(case)
    assert case.state == "ended" and case.is_final
    history = versions_of(s, [case.id])[case.id]
    assert amount_in(history, "2026-07") == 0


def test_a_child_of_eighteen_is_refused_at_intake_and_nothing_is_written(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2008, 3, 10))  # 18 today
    before = s.scalar(select(func.count()).select_from(Case))
    with pytest.raises(PayloadInvalid) as err:
        open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    assert "已年满18周岁" in err.value.fields["child_member_id"]
    assert s.scalar(select(func.count()).select_from(Case)) == before


def test_parents_who_can_raise_the_child_are_refused_field_by_field(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2015, 1, 1))
    bad = _application(hh, child, father_status="present", guardian_id_number="123")
    with pytest.raises(PayloadInvalid) as err:
        open_orphan_case(s, world.actor("clerk"), bad, NOW)
    assert "不符合" in err.value.fields["parents"]
    assert "身份证号" in err.value.fields["guardian_id_number"]
    assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_orphan_allowance_for_centralised_care_uses_its_own_standard(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2014, 1, 1))
    app = _application(hh, child, father_status="dead", mother_status="declared_missing")
    case = open_orphan_case(s, world.actor("clerk"), replace(app, setting="centralised"), NOW)
    assert "孤儿" in case.summary
    _decide(world, case)
    history = versions_of(s, [case.id])[case.id]
    assert amount_in(history, "2026-04") == _standard(world, "centralised")
    fire(s, case.id, "end_adoption", world.actor("reviewer"), NOW, {"adopted_on": "2026-03-09"})
    assert amount_in(versions_of(s, [case.id])[case.id], "2026-04") == 0


def test_a_child_in_care_makes_the_household_assisted_in_the_ledger_comparison(
    world: World,
) -> None:
    s = world.session
    hh, child = _child_household(world, date(2014, 1, 1))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    assert f"household:{hh.id}" not in {u.key for u in system_units(s)}
    _decide(world, case)
    units = {u.key: u for u in system_units(s)}
    assert units[f"household:{hh.id}"].program == "orphan"
    assert child.id_number in units[f"household:{hh.id}"].ids


def test_the_allowance_in_care_is_a_line_of_the_monthly_roll(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2014, 1, 1))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    _decide(world, case)
    roll = prepare_roll(s, world.actor("reviewer"), world.township.code, "2026-04", at(2026, 4, 1))
    lines = s.scalars(select(RollRow).where(RollRow.roll_id == roll.id)).all()
    line = next(r for r in lines if r.case_id == case.id)
    assert (line.case_type, line.for_month) == ("orphan", "2026-04")
    assert line.amount_fen == _standard(world, "dispersed")


def test_a_child_already_in_a_running_case_is_not_accepted_twice(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2014, 1, 1))
    first = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    with pytest.raises(PayloadInvalid) as err:
        open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    assert first.case_no in err.value.fields["child_member_id"]
    assert s.scalar(select(func.count()).select_from(Case)) == 1


def _factory(world: World) -> sessionmaker[Session]:
    return make_session_factory(world.session.get_bind())  # type: ignore[arg-type]


def _state(s: Session, case_id: int) -> str:
    """The case's state as the sweep's own sessions committed it."""
    s.rollback()
    s.expire_all()
    return str(s.scalar(select(Case.state).where(Case.id == case_id)))


def test_the_timer_ends_the_care_on_the_18th_birthday_once(world: World) -> None:
    s = world.session
    hh, child = _child_household(world, date(2008, 6, 15))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    _decide(world, case)
    other_hh, younger = _child_household(world, date(2010, 1, 1))
    young_case = open_orphan_case(s, world.actor("clerk"), _application(other_hh, younger), NOW)
    _decide(world, young_case)
    factory = _factory(world)
    eve = at(2026, 6, 14, 23, 30)
    assert sweep(factory, eve).majority_ended == 0
    assert _state(s, case.id) == "approved"
    birthday = at(2026, 6, 15, 0, 5)
    assert sweep(factory, birthday).majority_ended == 1
    assert sweep(factory, birthday).majority_ended == 0  # idempotent: nothing left to end
    assert _state(s, case.id) == "ended"
    last = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert last is not None and (last.trigger, last.actor_role) == ("end_majority", "system")
    assert _state(s, young_case.id) == "approved"
    # Paid through the month of the 18th birthday, nothing from the month after.
    history = versions_of(s, [case.id])[case.id]
    assert amount_in(history, "2026-06") == _standard(world, "dispersed")
    assert amount_in(history, "2026-07") == 0
    roll = prepare_roll(s, world.actor("reviewer"), world.township.code, "2026-07", at(2026, 7, 1))
    lines = s.scalars(select(RollRow).where(RollRow.roll_id == roll.id)).all()
    assert [ln for ln in lines if ln.case_id == case.id and ln.for_month == "2026-07"] == []
    assert any(ln.case_id == young_case.id for ln in lines)


def test_a_late_sweep_stops_the_allowance_from_the_month_after_the_birthday(
    world: World,
) -> None:
    s = world.session
    hh, child = _child_household(world, date(2008, 4, 20))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    _decide(world, case)
    assert sweep(_factory(world), at(2026, 6, 3)).majority_ended == 1  # the timer was down
    history = versions_of(s, [case.id])[case.id]
    assert amount_in(history, "2026-04") > 0
    assert amount_in(history, "2026-05") == 0  # the next regular roll deducts May if paid


def test_a_child_born_on_29_february_turns_18_on_1_march() -> None:
    assert majority_cutoff(date(2026, 2, 28)) == date(2008, 2, 28)
    assert majority_day(date(2008, 2, 29)) == date(2026, 3, 1)
    assert majority_day(date(2010, 2, 28)) == date(2028, 2, 28)


RISE = """
region: "640502"
configs:
  - effective_from: 2026-04-01
    is_example: false
    label: 2026 年 4 月起孤儿基本生活保障标准
    dibao_standard_fen: 56000
    amount_method: gap
    registry_line_fen: 62500
    property: {financial_months: 24, financial_per_capita: true, non_work_vehicle_excludes: true,
               employing_others_excludes: true, max_housing_units: 1}
    class_amounts: {a_fen: 47000, b_fen: 34000, c_fen: 19000}
    top_ups: {severe_disability_fen: 10000, serious_illness_fen: 10000, elderly_fen: 5000,
              elderly_age: 70, minor_fen: 5000, minor_age: 16}
    tekun: {care_self_care_fen: 20000, care_partial_fen: 60000, care_full_fen: 120000}
    temporary: {cap_multiples: {因病: "12"}, township_ceiling_fen: 200000, repeat_window_days: 365}
    orphans: {centralised_fen: 170000, dispersed_fen: 125000, basis: 区民政局 2026 年第 3 号通知,
              source: 测试录入}
"""


def test_the_grant_reads_the_dated_standard_in_force_on_the_approval_date(
    world: World,
) -> None:
    s = world.session
    enter_policy(s, RISE, None, NOW)  # as every standard is entered: the web form, `policy load`
    hh, child = _child_household(world, date(2014, 1, 1))
    before = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    _decide(world, before)  # approved on 10 March: the standard before the rise
    old = versions_of(s, [before.id])[before.id][-1]
    assert old.amount_fen == _standard(world, "dispersed", date(2026, 3, 31)) != 125000
    other_hh, other = _child_household(world, date(2015, 1, 1))
    after = open_orphan_case(s, world.actor("clerk"), _application(other_hh, other), NOW)
    fire(s, after.id, "submit_to_township", world.actor("clerk"), NOW)
    fire(s, after.id, "township_approve", world.actor("reviewer"), NOW, {"opinion": "属实"})
    fire(s, after.id, "approve", world.actor("approver"), at(2026, 4, 2))
    new = versions_of(s, [after.id])[after.id][-1]
    assert (new.amount_fen, new.policy_effective_from) == (125000, date(2026, 4, 1))
    assert new.basis["standard"] == "区民政局 2026 年第 3 号通知"
    assert new.basis["example_standard"] is False


def test_the_cli_loads_and_shows_a_new_orphan_standard(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "rise.yaml"
    path.write_text(RISE, encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    env = {"CASEFLOW_DATABASE_URL": url}
    result = CliRunner().invoke(main, ["policy", "load", str(path)], env=env)
    assert result.exit_code == 0 and "已录入 1 份配置" in result.output, result.output
    result = CliRunner().invoke(main, ["policy", "show", "--region", "640502"], env=env)
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("2026-04-01"))
    assert "集中养育 1700.00 元、社会散居 1250.00 元" in line
    assert "区民政局 2026 年第 3 号通知" in line


def test_a_standard_rise_keeps_the_orphan_allowance_unless_its_own_standard_rises(
    world: World,
) -> None:
    s = world.session
    hh, child = _child_household(world, date(2014, 1, 1))
    case = open_orphan_case(s, world.actor("clerk"), _application(hh, child), NOW)
    _decide(world, case)  # 1,100 元 from April
    orphans_section = RISE[RISE.index("    orphans:") :]
    dibao_only = RISE.replace(orphans_section, "").replace("56000", "60000")
    enter_policy(s, dibao_only, None, NOW)  # a new 低保 standard from April, no orphans section
    assert [i for i in rise_list(s, "640502", date(2026, 4, 1)).items if i.case_id == case.id] == []
    risen = RISE.replace("2026-04-01", "2026-07-01")  # the 孤儿 standard rises from July
    enter_policy(s, risen, None, NOW)
    items = [i for i in rise_list(s, "640502", date(2026, 7, 1)).items if i.case_id == case.id]
    assert [(i.month, i.old_fen, i.new_fen) for i in items] == [("2026-07", 110000, 125000)]
    approve_rise_list(s, world.actor("approver"), "640502", date(2026, 7, 1), at(2026, 7, 2))
    history = versions_of(s, [case.id])[case.id]
    assert (amount_in(history, "2026-06"), amount_in(history, "2026-07")) == (110000, 125000)
