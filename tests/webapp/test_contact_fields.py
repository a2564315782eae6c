"""The desk takes a household's telephone as a mobile or landline number and its bank from the
district's list; anything else is refused field by field and nothing is saved."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from support import World
from test_desk import households, registration
from websupport import AuthActions

from caseflow.db.models import Household


def test_the_household_form_offers_the_districts_banks(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("clerk")
    form = client.get("/desk/households/new").get_data(as_text=True)
    assert '<select name="bank_name">' in form
    assert "<option>中国农业银行</option>" in form
    assert 'name="phone" type="tel"' in form


def test_a_mobile_number_and_a_listed_bank_are_stored_normalised(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    data = registration(world, phone="139 9551 2345", bank_name="中国邮政储蓄银行")
    assert client.post("/desk/households/new", data=data).status_code == 303
    world.session.rollback()
    hh = world.session.scalar(select(Household).where(Household.head_name == "单小红"))
    assert hh is not None and hh.phone == "13995512345" and hh.bank_name == "中国邮政储蓄银行"


def test_a_wrong_telephone_and_an_unlisted_bank_are_refused_and_nothing_is_saved(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    before = households(world)
    data = registration(world, phone="1399551234", bank_name="农村信用社")
    response = client.post("/desk/households/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "电话号码格式不正确" in page and "0955-7012345" in page
    assert "开户银行须从本区代发银行中选择" in page
    assert households(world) == before


def test_a_landline_without_its_area_code_is_refused_saying_so(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    response = client.post("/desk/households/new", data=registration(world, phone="7012345"))
    assert response.status_code == 400
    assert "固定电话请带区号" in response.get_data(as_text=True)
