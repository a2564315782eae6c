"""/admin: the administrator's start page, and the offices' contact telephones it keeps."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from support import World
from websupport import AuthActions

from caseflow.db.models import AdminEvent, OrgUnit


def test_admin_page_links_users_policy_and_tokens_and_lists_the_offices(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    response = client.get("/admin")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for href in ('href="/admin/users"', 'href="/admin/policy"', 'href="/admin/api-tokens"'):
        assert href in page
    assert f'name="phone-{world.township.id}"' in page and "未登记" in page
    assert f'name="phone-{world.district.id}"' in page
    assert f'name="phone-{world.village.id}"' not in page  # villages issue no notices
    assert 'href="/admin">系统管理</a>' in page  # the header's one link for administration


def test_office_telephones_are_saved_normalised_and_logged(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    data = {
        f"phone-{world.township.id}": "０９５５ ７０１１２０１",
        f"phone-{world.district.id}": "13995512345",
    }
    response = client.post("/admin/offices", data=data)
    assert response.status_code == 303
    world.session.expire_all()
    assert world.session.get_one(OrgUnit, world.township.id).phone == "0955-7011201"
    assert world.session.get_one(OrgUnit, world.district.id).phone == "13995512345"
    logged = world.session.scalars(
        select(AdminEvent).where(AdminEvent.action == "office_phone_changed")
    ).all()
    assert len(logged) == 2 and {e.payload["after"] for e in logged} == {
        "0955-7011201",
        "13995512345",
    }
    # Saving the same numbers again changes nothing and logs nothing.
    client.post("/admin/offices", data=data)
    world.session.rollback()
    assert (
        len(
            world.session.scalars(
                select(AdminEvent.id).where(AdminEvent.action == "office_phone_changed")
            ).all()
        )
        == 2
    )


def test_a_bad_office_telephone_saves_nothing_and_names_the_office(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("admin")
    data = {
        f"phone-{world.township.id}": "0955-7011201",
        f"phone-{world.other_township.id}": "7011",
    }
    response = client.post("/admin/offices", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{world.other_township.name}：电话号码格式不正确" in page
    assert 'value="7011"' in page  # what was typed stays in the form
    world.session.expire_all()
    assert world.session.get_one(OrgUnit, world.township.id).phone is None


def test_only_an_admin_reaches_the_admin_page(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("supervisor")
    assert client.get("/admin").status_code == 403
    assert client.post("/admin/offices", data={}).status_code == 403
