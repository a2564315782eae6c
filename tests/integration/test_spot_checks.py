"""The district's spot checks: a reproducible sample per township (random share at the rate,
every near relative's case, targeted samples), the visit and its finding through fire, the
follow-up review or removal opened in the same transaction, the per-township report."""

from __future__ import annotations

import pytest
from payments_support import approve, at
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from support import World

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.kernel.errors import GuardFailed, PayloadInvalid
from caseflow.oversight import report
from caseflow.oversight.models import SpotCheck, SpotCheckDraw
from caseflow.oversight.spot_checks import draw_spot_checks, plan_sample
from caseflow.workflow.registry import registry

DRAWN = at(2026, 7, 10)  # the approvals of March are no longer new (90 days)


def _cases(world: World, n: int) -> list[Case]:
    return [approve(world, at(2026, 3, 20)) for _ in range(n)]


def _counts(s: Session) -> tuple[int, int, int]:
    s.rollback()
    return (
        s.scalar(select(func.count()).select_from(Case)) or 0,
        s.scalar(select(func.count()).select_from(SpotCheckDraw)) or 0,
        s.scalar(select(func.count()).select_from(SpotCheck)) or 0,
    )


def test_the_sample_is_reproducible_and_takes_every_relatives_case(world: World) -> None:
    s = world.session
    cases = _cases(world, 5)
    relative = s.get(Case, cases[0].id)
    assert relative is not None and relative.household is not None
    world.declare_relative(relative.household, "clerk")
    fresh = approve(world, at(2026, 7, 1))  # a new approval paying over the threshold
    sup = world.actor("supervisor")
    first, detail = plan_sample(s, sup, 5000, 42, DRAWN, registry())
    again, _ = plan_sample(s, sup, 5000, 42, DRAWN, registry())
    assert [x.terms.case_id for x in first] == [x.terms.case_id for x in again]
    part = detail["640502100"]
    assert part["population"] == 6 and part["rate_bp"] == 5000
    assert part["high_amount"] == [fresh.id]
    assert part["staff_relative"] == [cases[0].id]
    assert len(part["random"]) == 2  # half of the four others
    draw = draw_spot_checks(s, sup, "50", "42", DRAWN)
    assert draw.seed == 42 and draw.rate_bp == 5000
    assert draw.detail["640502100"]["random"] == part["random"]
    rows = s.scalars(select(SpotCheck).where(SpotCheck.draw_id == draw.id)).all()
    assert sorted(r.subject_case_id for r in rows) == sorted(
        [cases[0].id, fresh.id, *part["random"]]
    )
    spot = s.get(Case, next(r.case_id for r in rows if r.reason == "staff_relative"))
    assert spot is not None and spot.state == "drawn" and spot.case_no.startswith("CC-")
    # A case under an open spot check is not drawn again.
    assert not plan_sample(s, sup, 10000, 7, DRAWN, registry())[1]["640502100"]["staff_relative"]


def test_without_a_rate_each_townships_rule_set_decides(world: World) -> None:
    _cases(world, 3)
    # The 2021 rule set sets no random share (57号 sets none): only targets would be drawn.
    _, detail = plan_sample(world.session, world.actor("supervisor"), None, 1, DRAWN, registry())
    assert detail["640502100"]["rate_bp"] == 0 and detail["640502100"]["random"] == []


@pytest.mark.parametrize(
    ("rate", "seed", "field"),
    [("120", "", "rate"), ("-1", "", "rate"), ("三成", "", "rate"), ("30", "x1", "seed")],
)
def test_a_rate_outside_0_to_100_percent_is_refused_and_nothing_written(
    world: World, rate: str, seed: str, field: str
) -> None:
    _cases(world, 1)
    before = _counts(world.session)
    with pytest.raises(PayloadInvalid) as err:
        draw_spot_checks(world.session, world.actor("supervisor"), rate, seed, DRAWN)
    assert field in err.value.fields
    assert _counts(world.session) == before


def test_a_township_cannot_draw(world: World) -> None:
    from caseflow.kernel.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        draw_spot_checks(world.session, world.actor("reviewer"), "30", "", DRAWN)


def _drawn_one(world: World) -> tuple[Case, Case]:
    subject = _cases(world, 1)[0]
    draw = draw_spot_checks(world.session, world.actor("supervisor"), "100", "3", DRAWN)
    row = world.session.scalars(select(SpotCheck).where(SpotCheck.draw_id == draw.id)).one()
    spot = world.session.get(Case, row.case_id)
    assert spot is not None
    return subject, spot


def _follow_up(world: World, spot: Case, finding: str, trigger: str) -> SpotCheck:
    """The visit signed, the problem recorded, the follow-up fired; the sample's row after."""
    s, sup = world.session, world.actor("supervisor")
    visit = {"visit_date": "2026-07-13", "findings": "入户核查情况"}
    fire(s, spot.id, "sign_home_visit", sup, at(2026, 7, 13), visit)
    problem = {"finding": finding, "detail": "问题说明"}
    fire(s, spot.id, "record_problem", sup, at(2026, 7, 13, 11), problem)
    fire(s, spot.id, trigger, sup, at(2026, 7, 14), {"reason": "抽查发现"})
    return s.scalars(select(SpotCheck).where(SpotCheck.case_id == spot.id)).one()


def test_an_amount_found_wrong_opens_a_review_of_the_household(world: World) -> None:
    s = world.session
    subject, spot = _drawn_one(world)
    sup = world.actor("supervisor")
    # No conclusion without the district's signed visit.
    with pytest.raises(GuardFailed):
        fire(s, spot.id, "confirm_correct", sup, at(2026, 7, 13))
    row = _follow_up(world, spot, "保障金额有误", "refer_review")
    review = s.get(Case, row.follow_up_case_id)
    assert row.finding == "amount_wrong"
    assert review is not None and review.case_type == "review"
    assert (review.household_id, review.state) == (subject.household_id, "scheduled")
    lines = report.township_report(s, world.actor("approver"), at(2026, 7, 14))
    assert [(x.sampled, x.checked, x.problems, x.findings_rate) for x in lines] == [
        (1, 1, 1, "100.0%")
    ]


def test_a_case_found_not_eligible_goes_to_removal(world: World) -> None:
    s = world.session
    subject, spot = _drawn_one(world)
    row = _follow_up(world, spot, "不符合保障条件", "refer_removal")
    removal = s.get(Case, row.follow_up_case_id)
    assert removal is not None and removal.case_type == "removal"
    assert removal.household_id == subject.household_id


def test_township_staff_see_only_their_townships_spot_checks_and_overdue_counts(
    world: World,
) -> None:
    s = world.session
    _, spot = _drawn_one(world)
    assert [x.case_id for x in report.sampled_cases(s, world.actor("reviewer"), DRAWN)] == [spot.id]
    assert report.sampled_cases(s, world.actor("other_reviewer"), DRAWN) == []
    # Twenty working days later the visit is overdue.
    late = report.township_report(s, world.actor("supervisor"), at(2026, 9, 1))
    assert [(x.sampled, x.checked, x.overdue, x.findings_rate) for x in late] == [(1, 0, 1, "—")]


def test_the_cli_draws_and_reports_and_refuses_a_bad_rate(engine: Engine, world: World) -> None:
    from click.testing import CliRunner

    from caseflow.cli.main import main

    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["oversight", *args], env={"CASEFLOW_DATABASE_URL": url})
        return result.exit_code, result.output

    _cases(world, 2)
    code, out = run("draw", "--user", "supervisor", "--rate", "150")
    assert code == 1 and "抽查比例须在0%到100%之间" in out and "rate" not in out
    assert _counts(world.session)[1] == 0
    code, out = run("draw", "--user", "supervisor", "--rate", "100", "--seed", "9")
    assert code == 0 and "已抽取 2 件（随机种子 9）" in out, out
    code, out = run("report", "--user", "reviewer")
    assert code == 0 and "滨河镇：抽中 2，已核查 0" in out, out
    code, out = run(
        "accountability", "--user", "leader", "--from", "2026-07-01", "--to", "2026-06-01"
    )
    assert code == 1 and "结束日期不能早于开始日期" in out
