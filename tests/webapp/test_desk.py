"""The one window: search, registration with field-by-field validation, intake and its checks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import T0, World
from websupport import AuthActions

from caseflow.casework.households import name_initials
from caseflow.db.models import Case, CaseEvent, Household, Member
from caseflow.engine.fire import fire, open_case
from caseflow.kernel.idnumber import make_id_number

HEAD_ID = make_id_number("640502", date(1965, 4, 12), 31)
CHILD_ID = make_id_number("640502", date(2012, 9, 1), 42)


def registration(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "rows": "3",
        "org_unit_id": str(world.village.id),
        "address": "滨河镇示例村 3 组",
        "phone": "0955-7012345",
        "bank_name": "宁夏黄河农村商业银行",
        "bank_account": "6228 4800 0000 5678",
        "members-0-name": "单小红",
        "members-0-id_number": HEAD_ID.lower(),
        "members-0-relation": "户主",
        "members-0-labour_capacity": "partial",
        "members-0-health": "chronic",
        "members-1-name": "单乐乐",
        "members-1-id_number": CHILD_ID,
        "members-1-relation": "子女",
        "members-1-labour_capacity": "none",
        "members-1-health": "healthy",
        "members-1-is_student": "on",
    }
    data.update(overrides)
    return data


def households(world: World) -> int:
    world.session.rollback()
    return int(world.session.scalar(select(func.count()).select_from(Household)) or 0)


def test_register_household_with_normalised_ids(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    assert client.get("/desk/households/new").status_code == 200
    full_width = CHILD_ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = client.post(
        "/desk/households/new", data=registration(world, **{"members-1-id_number": full_width})
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    world.session.rollback()
    hh = world.session.scalar(select(Household).where(Household.head_name == "单小红"))
    assert hh is not None and hh.bank_account == "6228480000005678"
    ids = sorted(m.id_number for m in hh.members)
    assert ids == sorted([HEAD_ID, CHILD_ID])
    child = next(m for m in hh.members if m.relation == "子女")
    assert child.birth_date == date(2012, 9, 1) and child.is_student
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert HEAD_ID not in page and HEAD_ID[:6] + "********" + HEAD_ID[-4:] in page


def test_the_desk_records_a_disability_by_type_and_grade(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    form = client.get("/desk/households/new").get_data(as_text=True)
    assert 'name="members-0-disability_type"' in form and "智力" in form
    data = registration(
        world, **{"members-0-disability_type": "intellectual", "members-0-disability_grade": "3"}
    )
    response = client.post("/desk/households/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    world.session.rollback()
    hh = world.session.scalar(select(Household).where(Household.head_name == "单小红"))
    assert hh is not None
    head = next(m for m in hh.members if m.relation == "户主")
    assert (head.disability_type, head.disability_grade) == ("intellectual", 3)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "智力3 级" in page  # a grade-3 intellectual disability: no labour capacity (43号 第五条)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("members-0-id_number", "64050219650412003", "18 位"),
        ("members-0-id_number", HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1"), "校验位"),
        ("members-0-id_number", "640502196502300316", "出生日期"),
        ("members-0-id_number", "", "18 位"),
        ("members-0-name", "", "请填写姓名"),
        ("members-0-relation", "子女", "有且只有一名户主"),
        ("org_unit_id", "", "请选择所属村"),
        ("bank_account", "12ab", "银行账号"),
        ("members-1-id_number", HEAD_ID, "重复"),
        ("members-1-disability_grade", "7", "残疾等级"),
    ],
)
def test_registration_errors_are_field_by_field_and_save_nothing(
    client: FlaskClient, auth: AuthActions, world: World, field: str, value: str, message: str
) -> None:
    auth.login("clerk")
    before = households(world)
    response = client.post("/desk/households/new", data=registration(world, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert households(world) == before


def test_registration_refuses_a_unit_of_another_township(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    data = registration(world, org_unit_id=str(world.other_township.id))
    response = client.post("/desk/households/new", data=data)
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.get_data(as_text=True)


def test_search_by_id_name_and_initials(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    assert client.post("/desk/households/new", data=registration(world)).status_code == 303
    world.household(unit=world.other_township)  # 王大明 in 文昌镇: never found from 滨河镇
    for q in (HEAD_ID, HEAD_ID.lower(), HEAD_ID[-6:], "单小", "乐乐", "dxh", "sxh", "DLL"):
        body = client.get("/desk/", query_string={"q": q}).get_data(as_text=True)
        assert "单小红" in body, q
    body = client.get("/desk/", query_string={"q": "王大明"}).get_data(as_text=True)
    assert "没有找到" in body
    assert {"sxh", "dxh"} <= name_initials("单小红")


def intake(client: FlaskClient, hh_id: int, **data: Any) -> Any:
    return client.post(f"/desk/households/{hh_id}/intake", data=data)


def application(case_type: str, **data: Any) -> dict[str, Any]:
    """An intake with its written request (where the type asks for one) and a stated reason."""
    written = {"supplied": ["application"]} if case_type in ("dibao", "tekun", "temporary") else {}
    return {"case_type": case_type, "summary": "生活困难", **written, **data}


def test_intake_with_missing_materials_fires_the_one_time_notice(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    auth.login("clerk")
    page = client.get(f"/desk/households/{hh.id}/intake?case_type=dibao").get_data(as_text=True)
    assert "户口簿复印件" in page and "未发现重复" in page
    response = intake(
        client, hh.id, case_type="dibao", supplied=["application", "hukou"], summary="因病致贫"
    )
    assert response.status_code == 303
    assert "/missing-materials" in response.headers["Location"]
    notice = client.get(response.headers["Location"]).get_data(as_text=True)
    for item in ("家庭成员居民身份证复印件", "家庭经济状况核对授权书", "申请人本人银行账户"):
        assert item in notice
    assert "户口簿复印件" not in notice.split("需补齐的全部材料")[1].split("</ol>")[0]
    world.session.rollback()
    case = world.session.scalar(select(Case).where(Case.household_id == hh.id))
    assert case is not None and case.state == "awaiting_materials"
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers == ["open", "request_materials"]


def test_intake_complete_goes_to_the_case_page(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    auth.login("clerk")
    all_items = ["application", "hukou", "id_cards", "authorisation", "income", "property", "bank"]
    response = intake(client, hh.id, case_type="dibao", supplied=all_items, summary="因病致贫")
    assert response.status_code == 303 and "/cases/" in response.headers["Location"]
    world.session.rollback()
    case = world.session.scalar(select(Case).where(Case.household_id == hh.id))
    assert case is not None and case.state == "accepted"


def test_a_running_case_of_the_same_type_is_held_with_no_override(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    open_case(world.session, "dibao", hh.id, world.actor("clerk"), T0)
    auth.login("clerk")
    page = client.get(f"/desk/households/{hh.id}/intake?case_type=dibao").get_data(as_text=True)
    assert "已有在办的低保案件" in page and "请在原案件中继续办理" in page  # shown before submit
    assert 'name="override_password"' not in page  # nobody types a supervisor's password here
    response = intake(client, hh.id, **application("dibao"))
    assert response.status_code == 409
    auth.logout()
    auth.login("reviewer")
    refused = client.post(
        f"/desk/households/{hh.id}/override", data={"case_type": "dibao", "reason": "x"}
    )
    assert refused.status_code == 400 and "没有可以授权的法定事由" in refused.get_data(as_text=True)


def test_member_in_another_dibao_household_is_found(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    first = world.household()
    open_case(world.session, "dibao", first.id, world.actor("clerk"), T0)
    person = first.members[1]
    second = world.household()
    world.session.add(
        Member(
            household_id=second.id,
            name=person.name,
            relation="其他",
            sex=person.sex,
            birth_date=person.birth_date,
            id_number=person.id_number,
        )
    )
    world.session.commit()
    auth.login("clerk")
    page = client.get(f"/desk/households/{second.id}/intake?case_type=dibao")
    assert "已在其他家庭的在保或在办低保中" in page.get_data(as_text=True)
    assert intake(client, second.id, **application("dibao")).status_code == 409
    # Temporary assistance stacks with 低保.
    assert intake(client, second.id, **application("temporary")).status_code == 303


def test_emergency_route_opens_and_declares(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    auth.login("clerk")
    missing = intake(client, hh.id, case_type="temporary", emergency="on", situation="")
    assert missing.status_code == 400
    assert "请填写紧急情况" in missing.get_data(as_text=True)
    assert households(world) and not world.session.scalar(select(Case.id))
    ok = intake(  # the emergency route: no written request, no separate reason (先行救助)
        client,
        hh.id,
        case_type="temporary",
        emergency="on",
        emergency_kind="急难型",
        situation="房屋失火",
    )
    assert ok.status_code == 303
    world.session.rollback()
    case = world.session.scalar(select(Case).where(Case.household_id == hh.id))
    assert case is not None and case.state == "emergency_response"


@pytest.mark.parametrize("case_type", ["removal", "referral", "tekun"])
def test_other_case_types_start_from_the_same_place(
    client: FlaskClient, auth: AuthActions, world: World, case_type: str
) -> None:
    hh = world.household()
    auth.login("clerk")
    unknown = intake(client, hh.id, case_type=case_type, supplied=["no-such-item"])
    assert unknown.status_code == 400 and "不在本类案件的清单中" in unknown.get_data(as_text=True)
    response = intake(client, hh.id, **application(case_type))
    assert response.status_code == 303
    world.session.rollback()
    case = world.session.scalar(select(Case).where(Case.household_id == hh.id))
    assert case is not None and case.case_type == case_type


def test_relative_declaration_flags_new_cases(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    auth.login("clerk")
    bad = client.post(f"/desk/households/{hh.id}/relatives", data={"relation": "路人"})
    assert bad.status_code == 400
    ok = client.post(
        f"/desk/households/{hh.id}/relatives",
        data={"staff_user_id": str(world.users["inv1"].id), "relation": "兄弟姐妹"},
    )
    assert ok.status_code == 303
    assert intake(client, hh.id, **application("referral")).status_code == 303
    world.session.rollback()
    case = world.session.scalar(select(Case).where(Case.household_id == hh.id))
    assert case is not None and case.flag_staff_relative


def test_a_finished_case_no_longer_blocks(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    hh = world.household()
    case = open_case(world.session, "referral", hh.id, world.actor("clerk"), T0)
    fire(world.session, case.id, "cancel", world.actor("clerk"), T0, {"reason": "重复登记"})
    auth.login("clerk")
    assert intake(client, hh.id, **application("referral")).status_code == 303
