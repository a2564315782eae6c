"""The orphan list (/orphans): township staff see their own township only, the district every
township; names masked for roles that do not work on these cases, ID numbers always masked;
children turning 18 within three months highlighted; filters; the Excel download."""

from __future__ import annotations

import io
from datetime import date

from flask.testing import FlaskClient
from openpyxl import load_workbook
from support import T0, World
from websupport import AuthActions

from caseflow.casework.orphans import OrphanApplication, open_orphan_case
from caseflow.db.models import Case, Household, Member, OrgUnit
from caseflow.engine.fire import fire
from caseflow.kernel.idnumber import make_id_number

GUARDIAN_ID = make_id_number("640502", date(1950, 1, 1), 9)


def _orphan(
    world: World, name: str, born: date, unit: OrgUnit | None = None, *, approve: bool = True
) -> tuple[Case, Member]:
    hh: Household = world.household(size=1, unit=unit)
    child = Member(
        household_id=hh.id,
        name=name,
        relation="孙子女",
        sex="F",
        birth_date=born,
        id_number=make_id_number("640502", born, hh.id * 10 + 7),
    )
    world.session.add(child)
    world.session.commit()
    own = unit is None
    app = OrphanApplication(
        hh.id, child.id, "王大明", "祖父母", GUARDIAN_ID, "dead", "dead", "centralised"
    )
    case = open_orphan_case(world.session, world.actor("clerk" if own else "other_clerk"), app, T0)
    if approve:
        s = world.session
        fire(s, case.id, "submit_to_township", world.actor("clerk" if own else "other_clerk"), T0)
        reviewer = world.actor("reviewer" if own else "other_reviewer")
        fire(s, case.id, "township_approve", reviewer, T0, {"opinion": "属实"})
        fire(s, case.id, "approve", world.actor("approver"), T0)
    return case, child


def test_township_staff_see_their_own_children_and_the_district_sees_all(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    soon, soon_child = _orphan(world, "李小花", date(2008, 5, 20))  # 18 on 2026-05-20
    later, _ = _orphan(world, "李小草", date(2015, 1, 1))
    away, _ = _orphan(world, "赵小月", date(2014, 1, 1), world.other_township)
    waiting, _ = _orphan(world, "李小树", date(2016, 1, 1), approve=False)
    auth.login("clerk")
    page = client.get("/orphans").get_data(as_text=True)
    assert soon.case_no in page and later.case_no in page and waiting.case_no in page
    assert away.case_no not in page and "赵小月" not in page  # another township
    assert "李小花" in page and soon_child.id_number not in page  # ID masked even for the window
    assert soon_child.id_number[:6] + "********" + soon_child.id_number[-4:] in page
    assert "孤儿" in page and "集中养育" in page and "王大明" in page
    assert "1500.00" in page and "2026-04 起" in page  # the allowance from the month after
    assert "2026年5月20日" in page
    row = page[page.index(f'data-case-id="{soon.id}"') :]
    assert row.split("</tr>")[0].count("即将年满18周岁") == 1
    row = page[page.index(f'data-case-id="{later.id}"') :]
    assert "即将年满18周岁" not in row.split("</tr>")[0]
    assert page.index(soon.case_no) < page.index(later.case_no) < page.index(waiting.case_no)
    assert 'href="/orphans"' in page  # in the navigation
    auth.logout()
    auth.login("leader")  # follows the figures: names masked
    page = client.get("/orphans").get_data(as_text=True)
    assert soon.case_no in page and "李小花" not in page and "李*花" in page
    assert "王*明" in page
    auth.logout()
    auth.login("approver")
    page = client.get("/orphans").get_data(as_text=True)
    assert away.case_no in page and "赵小月" in page and soon.case_no in page


def test_filters_and_bad_filters(client: FlaskClient, auth: AuthActions, world: World) -> None:
    in_care, _ = _orphan(world, "李小花", date(2012, 5, 20))
    waiting, _ = _orphan(world, "李小树", date(2016, 1, 1), approve=False)
    away, _ = _orphan(world, "赵小月", date(2014, 1, 1), world.other_township)
    auth.login("approver")
    page = client.get("/orphans?state=approved").get_data(as_text=True)
    assert in_care.case_no in page and away.case_no in page and waiting.case_no not in page
    page = client.get("/orphans?township=640502101").get_data(as_text=True)
    assert away.case_no in page and in_care.case_no not in page
    page = client.get("/orphans?category=de_facto_unsupported").get_data(as_text=True)
    assert in_care.case_no not in page and 'id="row-count">0<' in page
    response = client.get("/orphans?category=x&state=nonsense")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "类别只能是孤儿或事实无人抚养儿童" in body and "没有这个案件状态" in body
    assert client.get("/orphans/export.xlsx?state=nonsense").status_code == 400
    assert client.get("/orphans?township=999999999").status_code == 404
    auth.logout()
    auth.login("clerk")  # the other township is outside the window's reach
    assert client.get("/orphans?township=640502101").status_code == 404
    assert client.get("/orphans/export.xlsx?township=640502101").status_code == 404


def test_the_excel_download_holds_the_filtered_list_masked(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case, child = _orphan(world, "李小花", date(2012, 5, 20))
    _orphan(world, "赵小月", date(2014, 1, 1), world.other_township)
    auth.login("reviewer")
    response = client.get("/orphans/export.xlsx?state=approved")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "案件编号" and "年满18周岁日期" in rows[0]
    assert [r[0] for r in rows[1:]] == [case.case_no]  # not the other township's
    line = rows[1]
    assert "李小花" in line and child.id_number not in line and "孤儿" in line
    assert "2030-05-20" in line


def test_the_navigation_links_the_list_for_the_roles_that_use_it(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    for username, shown in (("supervisor", True), ("finance", True), ("inv1", False)):
        auth.login(username)
        page = client.get("/inbox").get_data(as_text=True)
        assert ('href="/orphans"' in page) is shown, username
        auth.logout()
