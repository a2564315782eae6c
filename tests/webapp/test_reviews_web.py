"""复核: the outcomes through the case page's transition forms, and the 复核计划 list page
(overdue and due within 30 days, limited to the user's jurisdiction in SQL)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from support import T0, World
from walker import Walker, shortest_path
from websupport import AuthActions, Clock

from caseflow.db.engine import make_session_factory
from caseflow.db.models import Case, Household, OrgUnit
from caseflow.reviews.models import ReviewSchedule
from caseflow.reviews.opening import open_due_reviews
from caseflow.reviews.schedule import Terms, add_months, plan_after_approval, schedule_of
from caseflow.workflow.registry import registry

TODAY = T0.date()  # the app's clock starts an hour after T0


def _plan(world: World, due: date, unit: OrgUnit | None = None, cls: str = "B") -> Household:
    hh = world.household(unit=unit)
    ruleset = registry().rulesets["ningxia-640502-2021"]
    start = add_months(due, -ruleset.review_interval(cls))
    plan_after_approval(world.session, hh, "dibao", Terms(cls, 2, 30000), ruleset, None, start, T0)
    world.session.commit()
    return hh


def _review_in_township_review(world: World, engine: Engine, app: Flask) -> Case:
    """A due review opened by the sweep and walked to the township's decision."""
    hh = _plan(world, TODAY)
    [case_id] = open_due_reviews(make_session_factory(engine), T0).opened
    world.session.rollback()
    review = world.session.get(Case, case_id)
    assert review is not None and review.household_id == hh.id
    walker = Walker(world, T0)
    for t in shortest_path(registry().workflow("review"), "township_review"):
        walker.step(review, t)
    app.config["NOW"] = Clock(walker.now + timedelta(hours=1))
    return review


def _act(client: FlaskClient, case_id: int, trigger: str, **fields: Any) -> Any:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    found = re.search(r'name="expected_version" value="(\d+)"', page)
    assert found, "no action form on the page"
    data = {"expected_version": found.group(1)}
    data.update({f"p_{k}": str(v) for k, v in fields.items()})
    return client.post(f"/cases/{case_id}/fire/{trigger}", data=data, follow_redirects=True)


def _schedule(world: World, household_id: int) -> ReviewSchedule:
    world.session.rollback()
    row = schedule_of(world.session, household_id, "dibao")
    assert row is not None
    return row


def test_case_page_offers_the_outcomes_and_unchanged_moves_the_plan(
    world: World, engine: Engine, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    review = _review_in_township_review(world, engine, app)
    auth.login("reviewer")
    page = client.get(f"/cases/{review.id}").get_data(as_text=True)
    for label in ("维持不变", "拟调整（报区确认）", "转入停保程序"):
        assert label in page
    response = _act(client, review.id, "conclude_unchanged")
    assert response.status_code == 200 and "已完成：维持不变" in response.get_data(as_text=True)
    assert review.household_id is not None
    row = _schedule(world, review.household_id)
    assert row.last_review_case_id == review.id and row.last_reviewed_on is not None
    assert row.next_review_on == add_months(row.last_reviewed_on, 6)


def test_adjustment_form_refuses_against_the_rules_then_removal_opens_a_case(
    world: World, engine: Engine, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    review = _review_in_township_review(world, engine, app)
    auth.login("reviewer")
    response = _act(
        client,
        review.id,
        "propose_adjustment",
        aid_class="B",
        covered_members=str(review.household.members[0].id),  # type: ignore[union-attr]
        reason="人数变化",
    )
    text = response.get_data(as_text=True)
    assert "B" in text and "保障" in text and "已完成" not in text
    world.session.rollback()
    assert world.session.get(Case, review.id).state == "township_review"  # type: ignore[union-attr]
    response = _act(client, review.id, "propose_adjustment", aid_class="Z", reason="x")
    assert response.status_code == 400 and "未提交" in response.get_data(as_text=True)

    response = _act(client, review.id, "start_removal", reason="已外出务工，收入超标")
    assert "已完成：转入停保程序" in response.get_data(as_text=True)
    world.session.rollback()
    removal = world.session.scalars(
        select(Case).where(Case.household_id == review.household_id, Case.case_type == "removal")
    ).one()
    assert removal.state == "reported" and review.case_no in removal.summary
    page = client.get(f"/cases/{removal.id}").get_data(as_text=True)
    assert removal.case_no in page


def test_review_plan_lists_due_and_overdue_within_jurisdiction(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    overdue = _plan(world, TODAY - timedelta(days=20))
    soon = _plan(world, TODAY + timedelta(days=18), cls="C")
    far = _plan(world, TODAY + timedelta(days=45), cls="A")
    other = _plan(world, TODAY + timedelta(days=3), unit=world.other_township)

    def listed(page: str) -> set[int]:
        return {int(i) for i in re.findall(r'data-household-id="(\d+)"', page)}

    auth.login("reviewer")
    page = client.get("/reviews").get_data(as_text=True)
    assert "复核计划" in page and 'href="/reviews"' in page  # the nav link
    assert listed(page) == {overdue.id, soon.id}
    assert '<span id="overdue-count">1</span>' in page and '<span id="due-count">1</span>' in page
    assert "逾期 20 天" in page and "18 天后到期" in page and "C类" in page
    assert listed(client.get("/reviews?show=overdue").get_data(as_text=True)) == {overdue.id}
    assert listed(client.get("/reviews?show=due").get_data(as_text=True)) == {soon.id}
    assert listed(client.get("/reviews?show=bogus").get_data(as_text=True)) == {
        overdue.id,
        soon.id,
    }
    assert far.id not in listed(page)
    auth.logout()

    auth.login("approver")  # the district sees both townships
    assert listed(client.get("/reviews").get_data(as_text=True)) == {overdue.id, soon.id, other.id}
    auth.logout()

    auth.login("clerk")
    assert client.get("/reviews").status_code == 403
    assert 'href="/reviews"' not in client.get("/cases/").get_data(as_text=True)


def test_plan_links_the_open_review_case(
    world: World, engine: Engine, client: FlaskClient, auth: AuthActions
) -> None:
    hh = _plan(world, TODAY)
    [case_id] = open_due_reviews(make_session_factory(engine), T0).opened
    auth.login("leader")
    page = client.get("/reviews").get_data(as_text=True)
    assert f'data-household-id="{hh.id}"' in page and f'href="/cases/{case_id}"' in page
    assert "今日到期" in page
