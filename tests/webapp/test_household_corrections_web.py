"""Household corrections through the desk: forms, Chinese errors beside each field with nothing
saved, the version history on the household page with ID numbers masked."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import World
from websupport import AuthActions, Scene

from caseflow.casework.change_models import HouseholdChange
from caseflow.db.models import Household, Member, PersonalDataView
from caseflow.kernel.idnumber import make_id_number


def _count(world: World) -> int:
    world.session.rollback()
    return int(world.session.scalar(select(func.count()).select_from(HouseholdChange)) or 0)


def test_a_clerk_edits_a_household_and_sees_the_version(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    hh = scene.own.household
    auth.login("clerk")
    page = client.get(f"/desk/households/{hh.id}").get_data(as_text=True)
    assert "修改家庭信息" in page and "暂无变更" in page
    form = client.get(f"/desk/households/{hh.id}/edit").get_data(as_text=True)
    assert "宁夏银行" in form and "乡镇内搬迁" in form
    data = {
        "org_unit_id": str(hh.org_unit_id),
        "address": hh.address,
        "phone": "123",
        "bank_name": "不存在的银行",
        "bank_account": hh.bank_account,
        "reason": "",
    }
    bad = client.post(f"/desk/households/{hh.id}/edit", data=data)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请选择变更原因" in text
    assert "电话号码格式不正确" in text and "开户银行须从本区代发银行中选择" in text
    assert 'value="123"' in text  # what was typed comes back
    assert _count(world) == 0
    data.update(phone="13995512345", bank_name="宁夏银行", reason="info_changed", note="换卡")
    done = client.post(f"/desk/households/{hh.id}/edit", data=data, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已保存：家庭信息（第 1 版）" in text
    assert "第 1 版 · 修改家庭信息" in text and "联系电话：— → 13995512345" in text
    assert "开户银行：" in text and hh.bank_account not in text  # the account stays masked


def test_a_clerk_adds_edits_and_removes_members(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    hh = scene.own.household
    spouse = hh.members[1]
    auth.login("clerk")
    newborn = make_id_number("640502", date(2026, 1, 15), 777)
    base = f"/desk/households/{hh.id}"
    added = client.post(
        f"{base}/members/new",
        data={
            "members-0-name": "王小宝",
            "members-0-id_number": newborn,
            "members-0-relation": "子女",
            "reason": "birth",
        },
        follow_redirects=True,
    )
    text = added.get_data(as_text=True)
    assert "已保存：增加成员（第 1 版）" in text and "王小宝" in text
    assert newborn not in text and "640502********" in text  # masked in the history
    edit_form = client.get(f"{base}/members/{spouse.id}/edit").get_data(as_text=True)
    assert spouse.id_number in edit_form  # the window corrects the number it registered
    world.session.rollback()
    views = world.session.scalars(select(PersonalDataView)).all()
    assert [(v.field, v.member_id, v.purpose) for v in views] == [
        ("id_number", spouse.id, "更正家庭信息")
    ]
    no_reason = client.post(f"{base}/members/{spouse.id}/remove", data={"left_on": "2099-01-01"})
    assert no_reason.status_code == 400
    assert "日期不能晚于今天" in no_reason.get_data(as_text=True)
    removed = client.post(
        f"{base}/members/{spouse.id}/remove",
        data={"left_on": "2026-03-01", "reason": "death", "note": "死亡证明 2026-018"},
        follow_redirects=True,
    )
    text = removed.get_data(as_text=True)
    assert "成员减少 家人1" in text and "已离开本户的成员" in text
    assert "离开日期：— → 2026-03-01" in text and "死亡证明 2026-018" in text
    world.session.rollback()  # a fresh snapshot: the app has written since
    kept = world.session.get(Member, spouse.id)
    assert kept is not None and kept.left_reason == "死亡"
    household = world.session.get(Household, hh.id)
    assert household is not None and len(household.members) == 2  # head and the newborn


def test_other_roles_and_other_townships_cannot_correct(
    client: FlaskClient, auth: AuthActions, scene: Scene
) -> None:
    auth.login("reviewer")
    own = scene.own.household
    assert "修改家庭信息" not in client.get(f"/desk/households/{own.id}").get_data(as_text=True)
    assert client.get(f"/desk/households/{own.id}/edit").status_code == 403
    auth.logout()
    auth.login("clerk")
    other = scene.other.household
    assert client.get(f"/desk/households/{other.id}/edit").status_code == 404
    member = other.members[0]
    response = client.post(
        f"/desk/households/{other.id}/members/{member.id}/remove",
        data={"left_on": "2026-03-01", "reason": "death"},
    )
    assert response.status_code == 404


def test_removing_a_member_of_a_household_in_payment_says_a_review_was_opened(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    from support import T0
    from walker import Walker

    from caseflow.workflow.registry import registry

    hh = world.household(size=3)
    Walker(world, T0).walk_household(hh.id, registry().workflow("dibao"), "approved")
    child = hh.members[2]
    auth.login("clerk")
    done = client.post(
        f"/desk/households/{hh.id}/members/{child.id}/remove",
        data={"left_on": "2026-03-01", "reason": "moved_out"},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "本户在保，家庭情况变化已转入复核" in text and "查看复核案件" in text
