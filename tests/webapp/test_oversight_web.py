"""Supervision pages: the district draws a sample (a bad rate refused in Chinese, nothing
written), the township sees only its own sampled cases, a complaint is registered at the window
and listed only where it belongs."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from payments_support import approve, at
from sqlalchemy import func, select
from support import World
from websupport import AuthActions, Clock

from caseflow.db.models import Case
from caseflow.oversight.models import Complaint, Recovery, SpotCheck, SpotCheckDraw


def test_the_district_draws_and_the_township_sees_its_own_sample(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    subject = approve(world, at(2026, 3, 20))
    app.config["NOW"] = Clock(at(2026, 7, 10))
    auth.login("supervisor")
    refused = client.post("/spot-checks/draw", data={"rate": "150", "seed": ""})
    assert refused.status_code == 400
    assert "抽查比例须在0%到100%之间" in refused.get_data(as_text=True)
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(SpotCheckDraw)) == 0
    drawn = client.post("/spot-checks/draw", data={"rate": "100", "seed": "2026"})
    assert drawn.status_code == 303
    page = client.get("/spot-checks").get_data(as_text=True)
    assert "随机种子 2026" in page and "抽取 1 件" in page
    assert subject.case_no in page and "2026" in page
    world.session.rollback()
    spot = world.session.scalars(select(SpotCheck)).one()
    auth.logout()
    auth.login("reviewer")
    own = client.get("/spot-checks").get_data(as_text=True)
    assert f'data-case-id="{spot.case_id}"' in own and "抽取记录" not in own
    assert client.get("/spot-checks/draw").status_code == 403
    auth.logout()
    auth.login("other_reviewer")
    other = client.get("/spot-checks").get_data(as_text=True)
    assert f'data-case-id="{spot.case_id}"' not in other and "没有抽查案件" in other


def test_a_complaint_is_registered_at_the_window_with_errors_field_by_field(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    hh = world.household()
    app.config["NOW"] = Clock(at(2026, 4, 1))
    auth.login("clerk")
    household_page = client.get(f"/desk/households/{hh.id}").get_data(as_text=True)
    assert f"/complaints/new?household={hh.id}" in household_page
    form = client.get(f"/complaints/new?household={hh.id}").get_data(as_text=True)
    assert f'name="household_id" value="{hh.id}"' in form
    bad = client.post("/complaints/new", data={"household_id": str(hh.id), "content": " "})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请选择受理渠道" in text and "请填写投诉举报内容" in text
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Complaint)) == 0
    sent = client.post(
        "/complaints/new",
        data={"household_id": str(hh.id), "channel": "desk", "content": "有务工收入未申报"},
    )
    assert sent.status_code == 303
    world.session.rollback()
    case = world.session.scalars(select(Case).where(Case.case_type == "complaint")).one()
    assert f"/cases/{case.id}" in sent.headers["Location"]
    assert case.case_no in client.get("/complaints").get_data(as_text=True)
    auth.logout()
    auth.login("other_clerk")
    assert case.case_no not in client.get("/complaints").get_data(as_text=True)


def test_a_recovery_is_proposed_with_errors_field_by_field_and_listed_with_its_balance(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    source = approve(world, at(2026, 3, 20))
    app.config["NOW"] = Clock(at(2026, 7, 10))
    auth.login("reviewer")
    bad = client.post(
        "/recoveries/new",
        data={"case_no": source.case_no, "from_month": "2026-06", "to_month": "2026-04"},
    )
    text = bad.get_data(as_text=True)
    assert (
        bad.status_code == 400 and "截止月份不能早于起始月份" in text and "请选择追回原因" in text
    )
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Recovery)) == 0
    sent = client.post(
        "/recoveries/new",
        data={
            "case_no": source.case_no,
            "from_month": "2026-04",
            "to_month": "2026-05",
            "due_monthly": "",
            "cause": "fraud",
        },
    )
    assert sent.status_code == 303
    world.session.rollback()
    row = world.session.scalars(select(Recovery)).one()
    listed = client.get("/recoveries").get_data(as_text=True)
    assert f'data-case-id="{row.case_id}"' in listed and "已提出，待区级决定" in listed
    auth.logout()
    auth.login("other_reviewer")
    assert f'data-case-id="{row.case_id}"' not in client.get("/recoveries").get_data(as_text=True)


def test_the_accountability_page_refuses_a_bad_period_and_counts_a_good_one(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    app.config["NOW"] = Clock(at(2026, 7, 10))
    auth.login("leader")
    bad = client.get("/accountability?from=2026-07-31&to=2026-07-01")
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    assert client.get("/accountability?from=七月").status_code == 400
    page = client.get("/accountability").get_data(as_text=True)
    assert 'value="2026-01-01"' in page and "期内没有记录" in page


def test_a_spot_check_case_page_names_what_was_sampled_in_chinese(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    from caseflow.oversight.spot_checks import draw_spot_checks

    subject = approve(world, at(2026, 3, 20))
    draw_spot_checks(world.session, world.actor("supervisor"), "100", "11", at(2026, 7, 10))
    spot = world.session.scalars(select(SpotCheck)).one()
    app.config["NOW"] = Clock(at(2026, 7, 11))
    auth.login("supervisor")
    page = client.get(f"/cases/{spot.case_id}").get_data(as_text=True)
    assert "随机种子" in page and "抽中原因" in page and "随机抽取" in page
    assert subject.case_no in page
    assert "subject_case_id" not in page and "draw_id" not in page and "sample_reason" not in page
