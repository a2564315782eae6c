"""Periodic reviews (复核): schedules by class from the rule set, opened by the sweep, outcomes."""

from __future__ import annotations

import shutil
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from support import SH, T0, World
from walker import Walker, assessed_care_label, shortest_path

import caseflow.engine.fire
from caseflow import WORKFLOWS_DIR
from caseflow.bootstrap import load_definitions
from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, CaseEvent, Deadline, Household, MemberIncome
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import ConcurrencyConflict, DefinitionError, GuardFailed, PayloadInvalid
from caseflow.kernel.timeutil import to_local
from caseflow.payments import entitlements
from caseflow.reviews.models import ReviewSchedule
from caseflow.reviews.opening import open_due_reviews
from caseflow.reviews.schedule import Terms, add_months, plan_after_approval, schedule_of
from caseflow.reviews.sync import sync_schedules
from caseflow.timer.sweep import sweep
from caseflow.workflow.registry import registry
from caseflow.workflow.rulesets import load_rulesets

# ---------------------------------------------------------------------------- helpers


def _approved(
    world: World, walker: Walker, key: str = "dibao", *, aid_class: str = "B", size: int = 2
) -> Case:
    """A 低保 (or 特困) case approved through the engine; its approval plans the first review."""
    born = {"head_born": date(1950, 1, 1)} if key == "tekun" else {}
    hh = world.household(size=size, **born)
    case = open_case(world.session, key, hh.id, world.actor("clerk"), walker.tick())
    for t in shortest_path(registry().workflow(key), "district_review"):
        walker.step(case, t)
    if key == "dibao":
        covered = size if aid_class == "A" else min(size, 2)
        ids = [m.id for m in hh.members][:covered]
        payload: dict[str, Any] = {"covered_members": ids, "aid_class": aid_class}
    else:
        payload = {"care_level": assessed_care_label(case)}
    fire(world.session, case.id, "approve", world.actor("approver"), walker.tick(), payload)
    world.session.refresh(case)
    assert case.state == "approved"
    return case


def _entitled(world: World, case: Case) -> int:
    """The monthly amount of the case's newest entitlement version."""
    version = entitlements.latest(world.session, case.id)
    assert version is not None
    return version.amount_fen


def _schedule(world: World, household_id: int, programme: str = "dibao") -> ReviewSchedule:
    world.session.rollback()
    row = schedule_of(world.session, household_id, programme)
    assert row is not None
    world.session.refresh(row)
    return row


def _planned(
    world: World, review_class: str, *, due: date, unit: Any = None, programme: str = "dibao"
) -> Household:
    """A household with a schedule due on `due` (written directly, as sync would)."""
    hh = world.household(unit=unit)
    ruleset = registry().rulesets["ningxia-640502-2021"]
    row = plan_after_approval(
        world.session,
        hh,
        programme,
        Terms(review_class, 2, 30000),
        ruleset,
        None,
        add_months(due, -ruleset.review_interval(review_class)),
        T0,
    )
    assert row.next_review_on == due
    world.session.commit()
    return hh


def _open_reviews(session: Session) -> list[Case]:
    session.rollback()
    return list(
        session.scalars(
            select(Case).where(Case.case_type == "review", Case.is_final.is_(False))
        ).all()
    )


def _review_to_township_review(world: World, walker: Walker, review: Case) -> None:
    """Start the review, two signatures, the means test, and the investigator's conclusion."""
    for t in shortest_path(registry().workflow("review"), "township_review"):
        walker.step(review, t)
    world.session.refresh(review)
    assert review.state == "township_review"


def _due_review(world: World, walker: Walker, case: Case) -> tuple[Case, date]:
    """Let the sweep open the review of `case`'s household on its due day."""
    assert case.household_id is not None
    due = _schedule(world, case.household_id).next_review_on
    at = datetime(due.year, due.month, due.day, 9, 0, tzinfo=SH)
    factory = make_session_factory(world.session.get_bind())  # type: ignore[arg-type]
    report = open_due_reviews(factory, at)
    assert len(report.opened) == 1
    world.session.rollback()
    review = world.session.get(Case, report.opened[0])
    assert review is not None and review.household_id == case.household_id
    walker.now = at
    return review, due


# ---------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(("aid_class", "months"), [("A", 12), ("B", 6), ("C", 3)])
def test_approval_plans_the_first_review_by_class(
    world: World, aid_class: str, months: int
) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class=aid_class, size=3)
    assert case.household_id is not None and case.closed_at is not None
    row = _schedule(world, case.household_id)
    approved_on = to_local(case.closed_at).date()
    assert row.review_class == aid_class and row.interval_months == months
    assert row.approved_on == approved_on and row.last_reviewed_on is None
    assert row.next_review_on == add_months(approved_on, months)
    assert row.amount_fen == _entitled(world, case) > 0
    assert row.active and row.approved_case_id == case.id
    assert row.org_path == case.org_path


def test_tekun_approval_is_reviewed_yearly(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, "tekun", size=1)
    assert case.household_id is not None and case.closed_at is not None
    row = _schedule(world, case.household_id, "tekun")
    assert row.review_class == "tekun" and row.interval_months == 12
    assert row.next_review_on == add_months(to_local(case.closed_at).date(), 12)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 2), 12) == date(2027, 3, 2)


def _override_folder(tmp_path: Path, review_months: str) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS_DIR, folder)
    (folder / "rulesets" / "binhe.yaml").write_text(
        "key: binhe-2021\nlabel: 滨河镇试点\nextends: ningxia-640502-2021\n"
        'effective_from: 2021-07-01\nregion: "640502100"\n' + review_months,
        encoding="utf-8",
    )
    return folder


def test_a_rule_set_overrides_the_intervals(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = load_definitions(_override_folder(tmp_path, "review_months: {A: 24, C: 1}\n"))
    assert reg.rulesets["binhe-2021"].review_months == {"A": 24, "B": 6, "C": 1, "tekun": 12}
    monkeypatch.setattr(caseflow.engine.fire, "registry", lambda: reg)
    walker = Walker(world, T0)
    for aid_class, months in (("A", 24), ("C", 1)):
        case = _approved(world, walker, aid_class=aid_class)
        assert case.ruleset_key == "binhe-2021" and case.household_id is not None
        assert case.closed_at is not None
        row = _schedule(world, case.household_id)
        assert row.ruleset_key == "binhe-2021" and row.interval_months == months
        assert row.next_review_on == add_months(to_local(case.closed_at).date(), months)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("review_months: {A: 12, D: 6}\n", "binhe.yaml:6: review_months.D"),
        ("review_months: {A: 0}\n", "binhe.yaml:6: review_months.A"),
        ("review_months: {B: six}\n", "binhe.yaml:6: review_months.B"),
        ("review_months: 12\n", "binhe.yaml:6: review_months"),
    ],
)
def test_bad_intervals_are_refused_naming_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    folder = _override_folder(tmp_path, text)
    with pytest.raises(DefinitionError) as err:
        load_rulesets(folder / "rulesets")
    assert message in err.value.message_zh


def test_a_rule_set_without_an_interval_says_so() -> None:
    ruleset = load_rulesets()["national-2021"]
    bare = type(ruleset)(**{**ruleset.__dict__, "review_months": {}})
    with pytest.raises(DefinitionError, match="review_months"):
        bare.review_interval("A")


# ---------------------------------------------------------------------------- the sweep


def test_sweep_opens_exactly_the_due_reviews_once(engine: Engine, world: World) -> None:
    today = date(2026, 9, 1)
    now = datetime(2026, 9, 1, 9, 0, tzinfo=SH)
    due = _planned(world, "C", due=today)
    overdue = _planned(world, "B", due=today - timedelta(days=40))
    later = _planned(world, "A", due=today + timedelta(days=1))
    ended = _planned(world, "C", due=today - timedelta(days=5))
    row = _schedule(world, ended.id)
    row.active = False
    world.session.commit()
    factory = make_session_factory(engine)

    report = sweep(factory, now)
    assert report.reviews_opened == 2
    reviews = _open_reviews(world.session)
    assert sorted(c.household_id for c in reviews) == sorted([due.id, overdue.id])
    assert later.id not in {c.household_id for c in reviews}
    for review in reviews:
        assert review.state == "scheduled" and review.opened_by_id is None
        assert review.ruleset_key == "ningxia-640502-2021"
        opened = world.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == review.id, CaseEvent.seq == 1)
        ).one()
        assert opened.actor_role == "system" and opened.payload["programme"] == "dibao"
        rules = set(
            world.session.scalars(
                select(Deadline.rule).where(
                    Deadline.case_id == review.id, Deadline.closed_at.is_(None)
                )
            )
        )
        assert rules == {"start_investigation", "total"}  # deadlines from the rule set

    assert sweep(factory, now).reviews_opened == 0  # idempotent
    assert open_due_reviews(factory, now + timedelta(days=1)).opened != []  # `later` is due
    assert len(_open_reviews(world.session)) == 3


def test_reviews_open_in_the_households_own_jurisdiction(engine: Engine, world: World) -> None:
    now = datetime(2026, 9, 1, 9, 0, tzinfo=SH)
    here = _planned(world, "C", due=date(2026, 9, 1))
    there = _planned(world, "C", due=date(2026, 9, 1), unit=world.other_township)
    open_due_reviews(make_session_factory(engine), now)
    by_household = {c.household_id: c for c in _open_reviews(world.session)}
    assert by_household[here.id].org_path == world.village.path
    assert by_household[there.id].org_path == world.other_township.path
    assert not by_household[there.id].org_path.startswith(world.township.path)
    # Each township sees only its own review, in SQL.
    reviewer = world.actor("other_reviewer")
    visible = world.session.scalars(
        select(Case.household_id).where(
            Case.case_type == "review", Case.org_path.startswith(reviewer.org_path)
        )
    ).all()
    assert visible == [there.id]


def test_two_sweeps_at_once_open_each_review_once(engine: Engine, world: World) -> None:
    now = datetime(2026, 9, 1, 9, 0, tzinfo=SH)
    households = [_planned(world, "C", due=date(2026, 8, 1)) for _ in range(4)]
    factory = make_session_factory(engine)
    barrier = threading.Barrier(2)
    opened: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            opened.extend(open_due_reviews(factory, now).opened)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(opened) == 4
    reviews = _open_reviews(world.session)
    assert sorted(c.household_id for c in reviews) == sorted(h.id for h in households)


def test_the_database_refuses_a_second_open_review(engine: Engine, world: World) -> None:
    hh = _planned(world, "B", due=date(2026, 8, 1))
    open_case(world.session, "review", hh.id, world.actor("reviewer"), T0, summary="人工复核")
    with pytest.raises(ConcurrencyConflict, match="已有未办结的定期复核"):
        open_case(world.session, "review", hh.id, SYSTEM_ACTOR, T0, summary="重复")
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Case)) == 1
    report = open_due_reviews(make_session_factory(engine), datetime(2026, 9, 1, tzinfo=SH))
    assert report.opened == [] and report.failed == []
    assert len(_open_reviews(world.session)) == 1


# ---------------------------------------------------------------------------- outcomes


def test_unchanged_moves_the_next_date_by_the_class_interval(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class="B")
    review, due = _due_review(world, walker, case)
    _review_to_township_review(world, walker, review)
    fire(world.session, review.id, "conclude_unchanged", world.actor("reviewer"), walker.tick())
    assert case.household_id is not None
    row = _schedule(world, case.household_id)
    reviewed_on = to_local(walker.now).date()
    assert row.last_reviewed_on == reviewed_on and row.last_review_case_id == review.id
    assert row.next_review_on == add_months(reviewed_on, 6) and row.next_review_on > due
    assert row.review_class == "B" and row.amount_fen == _entitled(world, case)
    # Nothing is due now: the sweep opens no second review.
    factory = make_session_factory(world.session.get_bind())  # type: ignore[arg-type]
    assert open_due_reviews(factory, walker.tick()).opened == []


def test_adjustment_changes_class_and_amount_through_the_rules(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class="C", size=3)
    assert case.household_id is not None
    review, _ = _due_review(world, walker, case)
    _review_to_township_review(world, walker, review)
    reviewer = world.actor("reviewer")
    assert case.household is not None
    ids = [m.id for m in case.household.members]
    before = _entitled(world, case)
    bad_persons = {"aid_class": "A", "covered_members": ids[:2], "reason": "好转"}
    with pytest.raises(GuardFailed, match="保障"):  # class A covers the whole household of 3
        fire(world.session, review.id, "propose_adjustment", reviewer, walker.tick(), bad_persons)
    typed = {"aid_class": "A", "covered_members": ids, "amount_fen": 10_000_000, "reason": "x"}
    with pytest.raises(PayloadInvalid):  # amounts are computed, never typed
        fire(world.session, review.id, "propose_adjustment", reviewer, walker.tick(), typed)
    no_class = {"covered_members": ids, "reason": "x"}
    with pytest.raises(GuardFailed, match="类别"):
        fire(world.session, review.id, "propose_adjustment", reviewer, walker.tick(), no_class)
    good = {"aid_class": "A", "covered_members": ids, "reason": "家庭成员患病"}
    fire(world.session, review.id, "propose_adjustment", reviewer, walker.tick(), good)
    assert _schedule(world, case.household_id).review_class == "C"  # not before the district
    fire(world.session, review.id, "approve_adjustment", world.actor("approver"), walker.tick())
    row = _schedule(world, case.household_id)
    reviewed_on = to_local(walker.now).date()
    after = entitlements.latest(world.session, case.id)
    assert after is not None and after.kind == "adjust" and after.source_case_id == review.id
    assert after.covered_member_ids == sorted(ids) and after.aid_class == "A"
    assert after.amount_fen == after.computed_fen > before  # three covered instead of two
    assert (row.review_class, row.covered_persons, row.amount_fen) == ("A", 3, after.amount_fen)
    assert row.interval_months == 12 and row.next_review_on == add_months(reviewed_on, 12)
    world.session.refresh(review)
    assert review.state == "adjusted"


def test_an_ineligible_household_cannot_be_kept_unchanged(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class="B")
    assert case.household is not None
    review, _ = _due_review(world, walker, case)
    member = case.household.members[0]
    world.session.add(MemberIncome(member_id=member.id, source="wages", monthly_fen=900000))
    world.session.commit()
    _review_to_township_review(world, walker, review)
    with pytest.raises(GuardFailed, match="停保"):
        fire(world.session, review.id, "conclude_unchanged", world.actor("reviewer"), walker.tick())


def test_start_removal_opens_a_removal_case_and_removal_ends_the_schedule(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class="C")
    assert case.household_id is not None
    review, _ = _due_review(world, walker, case)
    _review_to_township_review(world, walker, review)
    reason = {"reason": "家庭成员已稳定就业，收入超过标准"}
    fire(world.session, review.id, "start_removal", world.actor("reviewer"), walker.tick(), reason)
    world.session.rollback()
    removal = world.session.scalars(
        select(Case).where(Case.household_id == case.household_id, Case.case_type == "removal")
    ).one()
    assert removal.state == "reported" and removal.org_path == case.org_path
    assert review.case_no in removal.summary and "稳定就业" in removal.summary
    opened = world.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == removal.id, CaseEvent.seq == 1)
    ).one()
    assert opened.payload["from_review_case_id"] == review.id
    assert opened.actor_id == world.users["reviewer"].id
    assert world.session.scalar(
        select(func.count()).select_from(Deadline).where(Deadline.case_id == removal.id)
    )
    row = _schedule(world, case.household_id)
    assert row.last_review_case_id == review.id and row.active
    # While the removal is open the household is not reviewed again, even when due.
    factory = make_session_factory(world.session.get_bind())  # type: ignore[arg-type]
    later = datetime.combine(row.next_review_on, datetime.min.time(), SH) + timedelta(days=1)
    assert open_due_reviews(factory, later).opened == []
    for t in shortest_path(registry().workflow("removal"), "removed"):
        walker.step(removal, t)
    row = _schedule(world, case.household_id)
    assert not row.active and row.ended_on == to_local(walker.now).date()
    assert open_due_reviews(factory, later).opened == []


def test_tekun_review_adjusts_the_amount_only(world: World) -> None:
    walker = Walker(world, T0)
    case = _approved(world, walker, "tekun", size=1)
    assert case.household_id is not None
    due = _schedule(world, case.household_id, "tekun").next_review_on
    at = datetime(due.year, due.month, due.day, 9, 0, tzinfo=SH)
    factory = make_session_factory(world.session.get_bind())  # type: ignore[arg-type]
    [review_id] = open_due_reviews(factory, at).opened
    world.session.rollback()
    review = world.session.get(Case, review_id)
    assert review is not None
    walker.now = at
    _review_to_township_review(world, walker, review)
    payload = {"reason": "护理等级变化"}
    fire(
        world.session,
        review.id,
        "propose_adjustment",
        world.actor("reviewer"),
        walker.tick(),
        payload,
    )
    fire(world.session, review.id, "approve_adjustment", world.actor("approver"), walker.tick())
    row = _schedule(world, case.household_id, "tekun")
    assert (row.review_class, row.amount_fen, row.interval_months) == (
        "tekun",
        _entitled(world, case),
        12,
    )


# ---------------------------------------------------------------------------- rebuilding


def test_sync_rebuilds_the_schedules_from_the_cases(engine: Engine, world: World) -> None:
    walker = Walker(world, T0)
    kept = _approved(world, walker, aid_class="B")
    adjusted = _approved(world, walker, aid_class="C", size=3)
    review, _ = _due_review(world, walker, adjusted)
    _review_to_township_review(world, walker, review)
    assert adjusted.household is not None
    everyone = [m.id for m in adjusted.household.members]
    good = {"aid_class": "A", "covered_members": everyone, "reason": "调整"}
    fire(
        world.session, review.id, "propose_adjustment", world.actor("reviewer"), walker.tick(), good
    )
    fire(world.session, review.id, "approve_adjustment", world.actor("approver"), walker.tick())
    columns = (
        "review_class",
        "covered_persons",
        "amount_fen",
        "interval_months",
        "approved_on",
        "last_reviewed_on",
        "last_review_case_id",
        "next_review_on",
        "active",
        "org_path",
    )

    def snapshot() -> dict[int, tuple[Any, ...]]:
        world.session.rollback()
        rows = world.session.scalars(select(ReviewSchedule)).all()
        return {r.household_id: tuple(getattr(r, c) for c in columns) for r in rows}

    before = snapshot()
    assert set(before) == {kept.household_id, adjusted.household_id}
    world.session.query(ReviewSchedule).delete()
    world.session.commit()
    assert snapshot() == {}
    report = sync_schedules(world.session, walker.tick())
    assert (report.written, report.ended, report.skipped) == (2, 0, 0)
    assert snapshot() == before
    sync_schedules(world.session, walker.tick())
    assert snapshot() == before  # twice gives the same


def test_cli_sync_and_open(world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.cli.main import main

    walker = Walker(world, T0)
    case = _approved(world, walker, aid_class="C")
    world.session.query(ReviewSchedule).delete()
    world.session.commit()
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    result = runner.invoke(main, ["reviews", "sync"])
    assert result.exit_code == 0, result.output
    assert "写入 1 户" in result.output
    assert case.household_id is not None
    due = _schedule(world, case.household_id).next_review_on
    result = runner.invoke(main, ["reviews", "open", "--now", f"{due.isoformat()}T09:00:00"])
    assert result.exit_code == 0, result.output
    assert "开启定期复核 1 件" in result.output
    result = runner.invoke(main, ["tick", "--now", f"{due.isoformat()}T10:00:00"])
    assert "开启定期复核 0 件" in result.output
