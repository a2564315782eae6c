"""Notices carry the issuing offices' telephones; a decision notice is offered only once there is
a decision; a limit in hours is told in hours."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.engine.fire import fire, open_case
from caseflow.workflow.registry import registry


def test_notices_print_the_offices_telephones_or_say_none_is_registered(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    auth.login("clerk")
    before = client.get(f"/print/cases/{case.id}/acceptance").get_data(as_text=True)
    assert "咨询电话：滨河镇民生服务中心 （电话未登记）" in before
    world.session.rollback()  # a fresh transaction: the app wrote since this one began
    world.township.phone = "0955-7011201"
    world.district.phone = "0955-7011200"
    world.session.commit()
    acceptance = client.get(f"/print/cases/{case.id}/acceptance").get_data(as_text=True)
    assert "咨询电话：滨河镇民生服务中心 0955-7011201；沙坡头区民政局 0955-7011200" in acceptance
    missing = client.get(f"/print/cases/{case.id}/missing-materials").get_data(as_text=True)
    assert "滨河镇民生服务中心 0955-7011201" in missing
    decision = client.get(f"/print/cases/{case.id}/decision").get_data(as_text=True)
    assert (
        "沙坡头区民政局 0955-7011200" in decision and "滨河镇民生服务中心 0955-7011201" in decision
    )
    publicity = client.get(f"/print/publicity/{world.village.code}").get_data(as_text=True)
    assert "咨询电话：滨河镇民生服务中心 0955-7011201；沙坡头区民政局 0955-7011200" in publicity


def test_the_decision_notice_is_offered_only_once_a_decision_exists(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    dibao = registry().workflow("dibao")
    pending = walker.to_state(dibao, "district_review")
    decided = walker.to_state(dibao, "approved")
    auth.login("approver")
    pending_page = client.get(f"/cases/{pending.id}").get_data(as_text=True)
    assert "受理通知书" in pending_page
    assert "决定 / 不予确认通知书" not in pending_page
    assert f"/print/cases/{pending.id}/decision" not in pending_page
    decided_page = client.get(f"/cases/{decided.id}").get_data(as_text=True)
    assert f'href="/print/cases/{decided.id}/decision"' in decided_page
    assert f'href="/print/cases/{decided.id}/decision.pdf"' in decided_page


def test_a_twelve_hour_limit_is_told_in_hours_not_as_zero_working_days(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("temporary"), "emergency_response")
    auth.login("reviewer")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "救急难先行救助" in page
    assert re.search(r"剩余 1[0-2] 小时", page), page[page.find("办理时限") :][:1500]
    assert "剩余 0 个工作日" not in page


def test_the_one_time_notice_is_offered_once_and_printed_only_while_materials_are_missing(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    clerk = world.actor("clerk")
    case = open_case(world.session, "dibao", world.household().id, clerk, T0, summary="因病")
    auth.login("clerk")

    def page() -> str:
        return client.get(f"/cases/{case.id}").get_data(as_text=True)

    complete = page()  # nothing asked yet: the notice may be issued, there is none to print
    assert 'data-trigger="request_materials"' in complete
    assert f"/print/cases/{case.id}/missing-materials" not in complete
    asked = {"missing_items": ["户口簿复印件"]}
    fire(world.session, case.id, "request_materials", clerk, T0 + timedelta(hours=1), asked)
    waiting = page()
    assert f'href="/print/cases/{case.id}/missing-materials"' in waiting
    assert f'href="/print/cases/{case.id}/missing-materials.pdf"' in waiting
    fire(world.session, case.id, "materials_supplied", clerk, T0 + timedelta(hours=2))
    supplied = page()
    assert f"/print/cases/{case.id}/missing-materials" not in supplied
    actions = supplied.split('id="actions"')[1].split("</section>")[0]
    assert "一次性告知补齐材料" not in actions  # no second notice, not even a disabled button
