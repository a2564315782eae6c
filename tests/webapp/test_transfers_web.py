"""迁移 through the browser's forms: the dead end at registration offers the request, the window
sees its own requests without learning where the person was, the district decides."""

from __future__ import annotations

from flask.testing import FlaskClient
from support import World
from websupport import AuthActions, Scene

from caseflow.db.models import Member


def test_a_window_asks_and_the_district_approves(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    here = scene.own.household
    there = world.household(unit=world.other_township)  # no case open there
    person = there.members[1]
    auth.login("clerk")
    added = client.post(
        f"/desk/households/{here.id}/members/new",
        data={
            "members-0-name": person.name,
            "members-0-id_number": person.id_number,
            "members-0-relation": "子女",
            "reason": "moved_in",
        },
    )
    text = added.get_data(as_text=True)
    assert added.status_code == 400 and "已在其他乡镇登记" in text
    assert f"/desk/households/{here.id}/transfer?id_number={person.id_number}" in text
    form = client.get(f"/desk/households/{here.id}/transfer?id_number={person.id_number}")
    assert person.id_number in form.get_data(as_text=True)
    empty = client.post(f"/desk/households/{here.id}/transfer", data={"id_number": ""})
    assert empty.status_code == 400 and "请填写迁移原因" in empty.get_data(as_text=True)
    sent = client.post(
        f"/desk/households/{here.id}/transfer",
        data={"id_number": person.id_number, "relation": "子女", "note": "投靠父母"},
        follow_redirects=True,
    )
    text = sent.get_data(as_text=True)
    assert "已提交迁移申请" in text and "待区民政局审批" in text
    assert "文昌镇" not in text and person.name not in text  # nothing of where, or who
    auth.logout()
    auth.login("approver")
    listed = client.get("/desk/transfers").get_data(as_text=True)
    assert person.name in listed and "文昌镇" in listed and "批准迁移" in listed
    transfer_id = listed.split("/desk/transfers/")[1].split("/decide")[0]
    refused = client.post(f"/desk/transfers/{transfer_id}/decide", data={"decision": "refuse"})
    assert refused.status_code == 400 and "不予迁移时请填写理由" in refused.get_data(as_text=True)
    done = client.post(
        f"/desk/transfers/{transfer_id}/decide",
        data={"decision": "approve", "note": "户籍已迁"},
        follow_redirects=True,
    )
    assert "已批准迁移" in done.get_data(as_text=True)
    world.session.rollback()
    moved = [m for m in world.session.get(Member, person.id).household.all_members]  # type: ignore[union-attr]
    assert any(m.id == person.id and m.left_on for m in moved)
    auth.logout()
    auth.login("clerk")
    page = client.get(f"/desk/households/{here.id}").get_data(as_text=True)
    assert person.name in page and "成员迁入" in page


def test_registration_of_a_person_registered_elsewhere_points_to_the_transfer(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    there = world.household(unit=world.other_township)
    auth.login("clerk")
    response = client.post(
        "/desk/households/new",
        data={
            "rows": "1",
            "org_unit_id": str(world.village.id),
            "members-0-name": there.members[0].name,
            "members-0-id_number": there.members[0].id_number,
            "members-0-relation": "户主",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "已在其他乡镇登记" in text
    assert 'id="transfer-hint"' in text and "申请迁入" in text
    assert "文昌镇" not in text
