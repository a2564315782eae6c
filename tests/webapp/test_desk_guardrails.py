"""The desk's guardrails as the staff meet them: an empty form opens nothing, a household already
receiving is held until a township reviewer or leader grants a lawful reason, and the one-time
notice is offered once."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.casework.intake import IntakeRequest, start_case
from caseflow.db.models import AdminEvent, Case, CaseEvent
from caseflow.engine.fire import fire
from caseflow.workflow.registry import registry


def _cases(world: World) -> int:
    world.session.rollback()
    return int(world.session.scalar(select(func.count()).select_from(Case)) or 0)


def test_pressing_accept_on_an_empty_intake_form_opens_no_case(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    before = _cases(world)
    auth.login("clerk")
    response = client.post(f"/desk/households/{hh.id}/intake", data={"case_type": "dibao"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "未收到「最低生活保障申请书（申请人签字）」，不能受理" in body
    assert "请填写申请事由" in body
    assert "supplied：" not in body and "summary：" not in body  # no internal field names
    assert _cases(world) == before


def test_a_reviewer_grants_a_lawful_reason_then_the_clerk_accepts(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    hh = world.household(size=3)
    walker.walk_household(hh.id, registry().workflow("dibao"), "approved")
    form = {"case_type": "tekun", "supplied": ["application"], "summary": "年满60周岁，无收入"}
    auth.login("clerk")
    held = client.post(f"/desk/households/{hh.id}/intake", data=form)
    page = held.get_data(as_text=True)
    assert held.status_code == 409 and "低保与特困供养不能同时享受" in page
    assert f"/desk/households/{hh.id}/override?case_type=tekun" in page
    assert "督查人员密码" not in page
    assert client.get(f"/desk/households/{hh.id}/override?case_type=tekun").status_code == 403
    auth.logout()
    auth.login("reviewer")
    household_page = client.get(f"/desk/households/{hh.id}").get_data(as_text=True)
    assert f"/desk/households/{hh.id}/override" in household_page
    grant_page = client.get(f"/desk/households/{hh.id}/override?case_type=tekun")
    assert 'value="dibao_member_to_tekun"' in grant_page.get_data(as_text=True)
    unchosen = client.post(f"/desk/households/{hh.id}/override", data={"case_type": "tekun"})
    assert unchosen.status_code == 400
    assert "请从列出的法定情形中选择" in unchosen.get_data(as_text=True)
    granted = client.post(
        f"/desk/households/{hh.id}/override",
        data={"case_type": "tekun", "reason": "dibao_member_to_tekun", "note": "户主年满60"},
    )
    assert granted.status_code == 303
    auth.logout()
    auth.login("clerk")
    ready = client.get(f"/desk/households/{hh.id}/intake?case_type=tekun")
    assert 'id="override-granted"' in ready.get_data(as_text=True)
    accepted = client.post(f"/desk/households/{hh.id}/intake", data=form)
    assert accepted.status_code == 303
    world.session.rollback()
    case = world.session.scalars(
        select(Case).where(Case.household_id == hh.id, Case.case_type == "tekun")
    ).one()
    opened = world.session.scalars(
        select(CaseEvent.payload).where(CaseEvent.case_id == case.id, CaseEvent.trigger == "open")
    ).one()
    assert opened["duplicate_override"]["granted_by"] == "reviewer"
    grants = world.session.scalar(
        select(func.count()).select_from(AdminEvent).where(AdminEvent.actor_id.is_not(None))
    )
    assert grants == 1


def test_the_case_page_offers_the_one_time_notice_only_once(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    hh = world.household()
    clerk = world.actor("clerk")
    request = IntakeRequest(hh.id, "dibao", supplied=("application",), summary="因病")
    case = start_case(world.session, clerk, request, T0).case
    fire(world.session, case.id, "materials_supplied", clerk, T0)
    auth.login("clerk")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-trigger="request_materials"' not in page  # issued once: not offered again
    assert "一次性告知补齐材料" not in page.split('id="actions"')[1].split("</section>")[0]
    world.session.rollback()
    version = world.session.scalar(select(Case.version).where(Case.id == case.id))
    again = client.post(
        f"/cases/{case.id}/fire/request_materials",
        data={"p_missing_items": "银行账户", "expected_version": str(version)},
        follow_redirects=True,
    )
    assert "不能再次告知" in again.get_data(as_text=True)
    world.session.rollback()
    notices = world.session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.trigger == "request_materials")
    )
    assert notices == 1
