"""The new-household form keeps what was typed, and registration never says where another
township registered a person."""

from __future__ import annotations

from flask.testing import FlaskClient
from support import World
from test_desk import HEAD_ID, households, registration
from websupport import AuthActions


def test_adding_rows_without_script_keeps_every_typed_value_and_saves_nothing(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    before = households(world)
    response = client.post(
        "/desk/households/new", data=registration(world, add_rows="5", address="滨河镇 5 组")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert households(world) == before
    assert 'value="滨河镇 5 组"' in page and 'value="单小红"' in page and 'value="单乐乐"' in page
    assert 'value="0955-7012345"' in page and HEAD_ID.lower() in page
    assert 'name="members-7-name"' in page and 'name="members-8-name"' not in page  # 3 + 5 rows
    assert 'name="rows" value="8"' in page
    assert "登记未保存" not in page  # adding rows is not a failed save


def test_the_form_loads_its_row_script_and_offers_the_button(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("clerk")
    page = client.get("/desk/households/new").get_data(as_text=True)
    assert 'name="add_rows"' in page and "member_rows.js" in page
    assert client.get("/static/member_rows.js").status_code == 200


def test_a_person_registered_in_another_township_is_not_located_for_the_clerk(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    elsewhere = world.household(unit=world.other_township)
    their_id = elsewhere.members[0].id_number
    auth.login("clerk")
    response = client.post(
        "/desk/households/new", data=registration(world, **{"members-1-id_number": their_id})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "已在其他乡镇登记；请联系区民政局办理迁移" in page
    assert "文昌镇" not in page and "王大明" not in page


def test_a_person_registered_in_the_clerks_own_township_is_named_by_household(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    own = world.household()
    response_id = own.members[1].id_number
    auth.login("clerk")
    response = client.post(
        "/desk/households/new", data=registration(world, **{"members-1-id_number": response_id})
    )
    assert response.status_code == 400
    assert "户主为 王大明 的家庭" in response.get_data(as_text=True)
