"""The window's 孤儿 / 事实无人抚养儿童 form: accepted to the case page; an 18-year-old refused in
Chinese with nothing written; the generic form never opens such a case without the child."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import T0, World
from websupport import AuthActions

from caseflow.casework.intake import IntakeRequest, start_case
from caseflow.db.models import Case, Household, Member
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.idnumber import make_id_number


def _with_child(world: World, born: date) -> tuple[Household, Member]:
    hh = world.household(size=1)
    child = Member(
        household_id=hh.id,
        name="李小花",
        relation="孙子女",
        sex="F",
        birth_date=born,
        id_number=make_id_number("640502", born, hh.id * 10 + 7),
    )
    world.session.add(child)
    world.session.commit()
    return hh, child


def _form(child: Member) -> dict[str, str]:
    return {
        "case_type": "orphan",
        "child_member_id": str(child.id),
        "father_status": "dead",
        "mother_status": "lost_contact",
        "setting": "dispersed",
        "guardian_name": "王大明",
        "guardian_relation": "祖父母",
        "guardian_id_number": make_id_number("640502", date(1950, 1, 1), 9),
    }


def _cases(world: World) -> int:
    world.session.rollback()
    return world.session.scalar(select(func.count()).select_from(Case)) or 0


def test_the_window_accepts_a_guardians_application_to_the_case_page(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh, child = _with_child(world, date(2016, 5, 1))
    auth.login("clerk")
    page = client.get(f"/desk/households/{hh.id}/intake?case_type=orphan").get_data(as_text=True)
    assert "监护人" in page and "李小花" in page and "社会散居" in page
    response = client.post(f"/desk/households/{hh.id}/intake", data=_form(child))
    assert response.status_code == 303
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "事实无人抚养儿童" in case_page
    assert make_id_number("640502", date(1950, 1, 1), 9) not in case_page  # masked


def test_an_eighteen_year_old_is_refused_at_the_window_with_nothing_written(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh, child = _with_child(world, date(2000, 1, 1))
    auth.login("clerk")
    response = client.post(f"/desk/households/{hh.id}/intake", data=_form(child))
    assert response.status_code == 400
    assert "已年满18周岁" in response.get_data(as_text=True)
    assert _cases(world) == 0


def test_the_generic_intake_form_never_opens_an_orphan_case(world: World) -> None:
    hh, _ = _with_child(world, date(2016, 5, 1))
    req = IntakeRequest(household_id=hh.id, case_type="orphan", summary="申请")
    with pytest.raises(PayloadInvalid) as err:
        start_case(world.session, world.actor("clerk"), req, T0)
    assert "专门的受理表" in err.value.fields["case_type"]
    assert _cases(world) == 0
