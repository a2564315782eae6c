"""The means form of the home visit: lines per member, a line added without losing what was
typed, field-by-field Chinese errors that write nothing, and the case page's line-by-line
assessment after saving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import T0, World
from websupport import AuthActions, Scene

from caseflow.db.models import CaseEvent, MemberIncome
from caseflow.engine.fire import fire


def _investigating(world: World, scene: Scene) -> int:
    case = scene.own.case
    fire(
        world.session,
        case.id,
        "start_investigation",
        world.actor("clerk"),
        T0 + timedelta(minutes=30),
        {},
    )
    world.session.commit()
    return case.id


def _member_ids(scene: Scene) -> list[int]:
    return sorted(m.id for m in scene.own.household.members)


@pytest.fixture
def visit(auth: AuthActions, world: World, scene: Scene) -> tuple[int, int, int]:
    """The scene's own case under investigation, inv1 signed in: case id, head and spouse ids."""
    case_id = _investigating(world, scene)
    auth.login("inv1")
    head, spouse = _member_ids(scene)
    return case_id, head, spouse


def _row(n: int, member: int, line: str, amount: str, **extra: str) -> dict[str, str]:
    fields = {"member_id": str(member), "line": line, "amount": amount, "check": "verified"}
    fields |= {"evidence": "信息核对报告", "as_of": "2026-03-01", **extra}
    return {f"r{n}-{k}": v for k, v in fields.items()}


def _incomes(world: World) -> int:
    world.session.rollback()
    return world.session.scalar(select(func.count()).select_from(MemberIncome)) or 0


def test_the_form_lists_every_member_with_the_rule_sets_categories(
    client: FlaskClient, auth: AuthActions, world: World, scene: Scene
) -> None:
    case_id = _investigating(world, scene)
    auth.login("inv1")
    page = client.get(f"/cases/{case_id}/means").get_data(as_text=True)
    for m in scene.own.household.members:
        assert f'id="member-{m.id}"' in page and m.name in page
    for label in (
        "收入·工资性收入",
        "收入·经营性收入",
        "财产·存款",
        "财产·住房",
        "支出·因病医疗刚性支出",
    ):
        assert label in page
    assert "信息核对一致" in page and "本人申报，未经核对" in page
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}/means"' in case_page


def test_adding_a_line_keeps_everything_typed(
    client: FlaskClient, world: World, visit: tuple[int, int, int]
) -> None:
    case_id, head, spouse = visit
    typed = _row(0, head, "income:wages", "1234.50", note="工地务工") | _row(
        1, spouse, "asset:deposit", "6000"
    )
    response = client.post(f"/cases/{case_id}/means", data={**typed, "add": str(head)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="1234.50"' in page and 'value="工地务工"' in page and 'value="6000"' in page
    assert page.count('class="means-line"') == 3  # the two typed and the new one
    assert _incomes(world) == 0  # nothing recorded yet


def test_wrong_fields_get_their_own_chinese_message_and_nothing_is_written(
    client: FlaskClient, world: World, visit: tuple[int, int, int]
) -> None:
    case_id, head, spouse = visit
    events = world.session.scalar(select(func.count()).select_from(CaseEvent))
    bad = (
        _row(0, head, "income:wages", "12元")
        | _row(1, spouse, "", "300")
        | _row(2, spouse, "asset:vehicle", "30000", evidence="", as_of="2027-01-01")
        | _row(3, head, "income:transfer", "200", check="")
    )
    response = client.post(f"/cases/{case_id}/means", data={**bad, "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "金额格式不正确：12元" in page
    assert "请选择类别" in page
    assert "核对一致或不一致的，须写明依据" in page
    assert "截至日期不能晚于今天（2026-03-02）" in page
    assert "请选择核对结果" in page
    assert "有 5 处需要修改" in page
    assert 'value="12元"' in page  # what was typed stays for correcting
    assert "member_id" not in page.replace('-member_id"', "")  # no internal names shown
    assert _incomes(world) == 0
    assert world.session.scalar(select(func.count()).select_from(CaseEvent)) == events


def test_saved_lines_are_assessed_line_by_line_on_the_case_page(
    client: FlaskClient, world: World, visit: tuple[int, int, int]
) -> None:
    case_id, head, spouse = visit
    lines = (
        _row(0, head, "income:wages", "1200")
        | _row(1, spouse, "income:basic_pension", "150", check="declared", evidence="")
        | _row(2, spouse, "asset:deposit", "5000", evidence="银行流水")
    )
    response = client.post(f"/cases/{case_id}/means", data={**lines, "save": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/cases/{case_id}#assessments"
    )
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "逐项核算（3 项）" in page
    assert "家庭月收入 1200.00 元 ÷ 2 人 = 人均月收入 600.00 元" in page
    assert "城乡居民基本养老保险基础养老金" in page and "不计入" in page and "银行流水" in page
    # The form shows the saved lines again, each with its id (a new save replaces them).
    form = client.get(f"/cases/{case_id}/means").get_data(as_text=True)
    assert form.count('-id" value="') == 3 and 'value="1200.00"' in form
    assert form.count(f"录入：{world.users['inv1'].display_name} ") == 3
    assert _incomes(world) == 2


def test_a_bare_post_of_the_means_transition_records_nothing(
    client: FlaskClient, auth: AuthActions, world: World, scene: Scene
) -> None:
    case_id = _investigating(world, scene)
    auth.login("inv1")
    client.post(
        f"/cases/{case_id}/means",
        data={**_row(0, _member_ids(scene)[0], "income:wages", "900"), "save": "1"},
    )
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    version = page.split('name="expected_version" value="')[1].split('"')[0]
    response = client.post(
        f"/cases/{case_id}/fire/record_household_means", data={"expected_version": version}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/cases/{case_id}/means"
    )
    assert _incomes(world) == 1  # the lines recorded before are untouched
