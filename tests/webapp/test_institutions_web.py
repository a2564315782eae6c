"""集中供养 pages: institutions entered field by field in Chinese, the township's proposal, the
occupancy pages and the priority list — each limited to the user's township in SQL."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from institution_support import admit, institution_form, make_institution, tekun_person
from payments_support import at
from sqlalchemy import func, select
from support import World
from websupport import AuthActions, Clock

from caseflow.db.models import Case
from caseflow.institutions.models import Admission, Institution


def test_admin_enters_an_institution_with_errors_named_field_by_field(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")
    bad = institution_form(world, licensed_beds="很多", phone="123", bank_account="abc")
    page = client.post("/institutions/new", data=bad)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "核定床位数应为 0–5000 之间的整数" in text
    assert "电话号码格式不正确" in text
    assert "银行账号" in text
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Institution)) == 0
    good = client.post("/institutions/new", data={**institution_form(world), "active": "1"})
    assert good.status_code == 303
    world.session.rollback()
    inst = world.session.scalars(select(Institution)).one()
    assert (inst.licensed_beds, inst.phone, inst.active) == (2, "0955-7012345", True)
    edit = client.get(f"/institutions/{inst.id}/edit").get_data(as_text=True)
    assert 'value="滨河镇敬老院"' in edit


def test_township_proposes_and_a_full_institution_is_refused_in_chinese(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    inst = make_institution(world, licensed_beds=1, capacity_self_care=1, capacity_partial=1)
    _, first = tekun_person(world)
    _, second = tekun_person(world)
    app.config["NOW"] = Clock(at(2026, 4, 1))
    auth.login("reviewer")
    form = client.get(f"/institutions/admissions/new?member_id={first.id}").get_data(as_text=True)
    assert f'value="{first.id}" selected' in form and "空余床位 1 张" in form
    sent = client.post(
        "/institutions/admissions/new",
        data={"member_id": first.id, "institution_id": inst.id, "ground": "unable_alone"},
    )
    assert sent.status_code == 303 and "/cases/" in sent.headers["Location"]
    world.session.rollback()
    case = world.session.scalars(select(Case).where(Case.case_type == "admission")).one()
    admit_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "录入供养机构确认的床位" in admit_page
    world.session.rollback()
    case_2 = admit(world, second, inst, 1, at(2026, 4, 2))
    assert case_2.state == "in_care"
    refused = client.post(
        "/institutions/admissions/new",
        data={"member_id": first.id, "institution_id": inst.id, "ground": "chosen"},
    )
    assert refused.status_code == 400
    assert "已有办理中" in refused.get_data(as_text=True)
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Admission)) == 2


def test_occupancy_and_priority_pages_stay_inside_the_township(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    inst = make_institution(world, licensed_beds=3, capacity_partial=3)
    elsewhere = make_institution(
        world, name="文昌镇敬老院", township=world.other_township.code, account_name="文昌镇敬老院"
    )
    tekun, resident = tekun_person(world)
    _, waiting = tekun_person(world)
    admission = admit(world, resident, inst, 3, at(2026, 4, 1))
    auth.login("reviewer")
    for case_id in (tekun.id, admission.id):
        case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert 'id="placement"' in case_page and "第 3 号床位（已入住）" in case_page
    page = client.get(f"/institutions/{inst.id}").get_data(as_text=True)
    assert 'id="in-use">1<' in page and 'id="free">2<' in page
    assert 'data-bed="3"' in page and resident.name in page
    assert client.get(f"/institutions/{elsewhere.id}").status_code == 404
    listing = client.get("/institutions").get_data(as_text=True)
    assert "滨河镇敬老院" in listing and "文昌镇敬老院" not in listing
    priority = client.get("/institutions/priority").get_data(as_text=True)
    assert f'data-member-id="{waiting.id}"' in priority  # 半失能, still at home
    assert f'data-member-id="{resident.id}"' not in priority  # in care already
    assert "尚未申请集中供养" in priority
    auth.logout()
    auth.login("other_reviewer")
    assert f'data-member-id="{waiting.id}"' not in client.get("/institutions/priority").get_data(
        as_text=True
    )
    assert client.get(f"/institutions/{inst.id}").status_code == 404
