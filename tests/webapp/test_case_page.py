"""The case page: masking and logged full views, actions through engine.fire, attachments,
and the printed notices along a whole 低保 decision."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support import World
from websupport import PDF, PNG, AuthActions, Scene

from caseflow.db.models import Attachment, Case, PersonalDataView
from caseflow.engine.fire import fire
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.money import format_yuan
from caseflow.payments import entitlements


def version(client: FlaskClient, case_id: int) -> str:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    found = re.search(r'name="expected_version" value="(\d+)"', page)
    assert found, "no action form on the page"
    return found.group(1)


def act(client: FlaskClient, case_id: int, trigger: str, **fields: Any) -> Any:
    data = {"expected_version": version(client, case_id)}
    data.update({f"p_{k}": v for k, v in fields.items()})
    return client.post(f"/cases/{case_id}/fire/{trigger}", data=data)


def test_personal_data_masked_and_full_view_logged(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case, hh = scene.own.case, scene.own.household
    member = hh.members[0]
    auth.login("reviewer")  # not a personal-data role: masked, no button, reveal refused
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert member.id_number not in page and member.id_number[-4:] in page
    assert "查看完整" not in page and hh.bank_account not in page
    assert (
        client.post(f"/cases/{case.id}/reveal", data={"field": "bank_account"}).status_code == 403
    )
    auth.logout()
    auth.login("clerk")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert member.id_number not in page and "查看完整" in page
    shown = client.post(
        f"/cases/{case.id}/reveal", data={"field": "id_number", "member_id": str(member.id)}
    )
    assert shown.status_code == 200 and member.id_number in shown.get_data(as_text=True)
    world.session.rollback()
    views = world.session.scalars(select(PersonalDataView)).all()
    assert [(v.field, v.member_id, v.case_id) for v in views] == [("id_number", member.id, case.id)]
    assert views[0].user_id == world.users["clerk"].id
    # A member of another township's household cannot be revealed through one's own case.
    other_member = scene.other.household.members[0]
    response = client.post(
        f"/cases/{case.id}/reveal", data={"field": "id_number", "member_id": str(other_member.id)}
    )
    assert response.status_code == 404


def test_actions_errors_and_stale_page(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case_id = scene.own.case.id
    auth.login("clerk")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "启动入户调查" in page and "已受理" in page
    stale = version(client, case_id)
    missing = act(client, case_id, "withdraw", reason="")
    assert missing.status_code == 400 and "请填写撤回原因" in missing.get_data(as_text=True)
    assert act(client, case_id, "start_investigation").status_code == 303
    # The same form posted again from the stale page.
    response = client.post(
        f"/cases/{case_id}/fire/withdraw",
        data={"expected_version": stale, "p_reason": "不再申请"},
        follow_redirects=True,
    )
    assert "该案件刚被他人处理，请刷新页面后重试" in response.get_data(as_text=True)
    # Unknown and not-now triggers are messages, not errors.
    for trigger in ("no_such_thing", "approve"):
        response = client.post(
            f"/cases/{case_id}/fire/{trigger}",
            data={"expected_version": version(client, case_id)},
            follow_redirects=True,
        )
        assert response.status_code == 200
    assert client.post(f"/cases/{case_id}/fire/approve", data={}).status_code == 303
    assert client.get("/cases/0").status_code == 404


def test_blocked_action_shows_the_guard_reason(
    client: FlaskClient, auth: AuthActions, scene: Scene
) -> None:
    case_id = scene.own.case.id
    auth.login("clerk")
    act(client, case_id, "start_investigation")
    auth.logout()
    auth.login("inv1")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "disabled>提交调查结果" in page
    assert "入户调查须由两名不同调查员签字" in page


def test_uploads_checked_and_served_within_jurisdiction(
    app: Flask, client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case_id = scene.own.case.id
    auth.login("inv1")

    def upload(name: str, content: bytes) -> str:
        response = client.post(
            f"/cases/{case_id}/attachments",
            data={"file": (io.BytesIO(content), name), "material": "户口簿复印件"},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "材料已上传" in upload("扫描件.png", PNG)
    assert "只能上传 PDF、JPG 或 PNG" in upload("恶意.exe", b"MZ\x90\x00")
    assert "文件内容与扩展名不符" in upload("假的.pdf", b"<html>not a pdf</html>")
    app.config["UPLOAD_MAX_BYTES"] = 1000  # smaller than the body limit: the view refuses it
    assert "文件过大" in upload("大.pdf", PDF + b"0" * 2000)
    app.config["MAX_CONTENT_LENGTH"] = 500  # the server refuses the body outright: 413
    response = client.post(
        f"/cases/{case_id}/attachments",
        data={"file": (io.BytesIO(PDF + b"0" * 2000), "更大.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "上传的文件过大" in response.get_data(as_text=True)
    world.session.rollback()
    rows = world.session.scalars(select(Attachment).where(Attachment.case_id == case_id)).all()
    assert len(rows) == 2  # the fixture's PDF and the PNG
    png = next(r for r in rows if r.content_type == "image/png")
    download = client.get(f"/cases/{case_id}/attachments/{png.id}")
    assert download.status_code == 200 and download.data == PNG
    assert len(png.sha256) == 64


def test_whole_dibao_decision_with_printouts(
    app: Flask, client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case_id = scene.own.case.id
    steps: list[tuple[str, str, dict[str, str]]] = [
        ("clerk", "start_investigation", {}),
        ("inv1", "sign_home_visit", {"visit_date": "2026-03-02", "findings": "家中困难"}),
        ("inv2", "sign_home_visit", {"visit_date": "2026-03-02", "findings": "属实"}),
        ("inv1", "record_assessment", {}),
        ("inv1", "submit_investigation", {"summary": "符合条件"}),
        ("reviewer", "start_publicity", {"place": "示例村村务公开栏"}),
    ]
    for user, trigger, fields in steps:
        auth.login(user)
        response = act(client, case_id, trigger, **fields)
        assert response.status_code == 303, (trigger, response.get_data(as_text=True)[:300])
        body = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "已完成" in body, (trigger, re.findall(r'role="alert">([^<]*)<', body))
        auth.logout()
    auth.login("reviewer")
    publicity = client.get("/print/publicity/640502100").get_data(as_text=True)
    hh = scene.own.household
    assert "王大明" in publicity and hh.members[0].id_number not in publicity
    assert hh.members[0].id_number[-4:] in publicity
    # Publicity runs its full seven days: no one may end it by hand; the timer does, after.
    assert "/fire/publicity_ended" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    act(client, case_id, "publicity_ended")
    world.session.rollback()
    assert world.session.get(Case, case_id, populate_existing=True).state == "publicizing"  # type: ignore[union-attr]
    clock = app.config["NOW"]
    clock.now += timedelta(days=8)
    fire(world.session, case_id, "publicity_ended", SYSTEM_ACTOR, clock())
    auth.logout()
    auth.login("approver")
    form = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "按规则核定" in form and 'name="p_amount_fen"' not in form.split("申请偏离")[0]
    bad = act(client, case_id, "approve", aid_class="Z")
    assert bad.status_code == 400 and "请从选项中选择" in bad.get_data(as_text=True)
    typed = act(client, case_id, "approve", amount_fen="650.00", aid_class="A")
    assert typed.status_code == 400 and "本操作没有此项" in typed.get_data(as_text=True)
    ok = act(client, case_id, "approve", aid_class="A")  # the whole household, as checked
    assert ok.status_code == 303
    world.session.rollback()
    case = world.session.get(Case, case_id)
    assert case is not None and case.state == "approved" and case.is_final
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "案件已办结" in page and "入户调查签字" in page and "inv2" in page
    notice = client.get(f"/print/cases/{case_id}/decision").get_data(as_text=True)
    granted = entitlements.latest(world.session, case_id)
    assert granted is not None and granted.amount_fen > 0
    assert f"{format_yuan(granted.amount_fen)} 元" in notice and "审核确认通知书" in notice
    assert "起按月发放" in notice and "保障对象" in notice
    acceptance = client.get(f"/print/cases/{case_id}/acceptance").get_data(as_text=True)
    assert "受理通知书" in acceptance and case.case_no in acceptance


def test_refusal_notice_has_reasons_and_appeal_rights(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    from support import T0
    from walker import Walker

    from caseflow.workflow.registry import registry

    case = Walker(world, T0).to_state(registry().workflow("dibao"), "refusal_notice")
    auth.login("clerk")
    notice = client.get(f"/print/cases/{case.id}/decision").get_data(as_text=True)
    assert "不予确认" in notice and "测试说明" in notice
    assert "行政复议" in notice and "行政诉讼" in notice


def test_case_page_shows_assessment_standard_pauses_and_rule_set(
    client: FlaskClient, auth: AuthActions, scene: Scene
) -> None:
    case_id = scene.own.case.id
    auth.login("clerk")
    assert act(client, case_id, "request_materials", missing_items="户口簿").status_code == 303
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "暂停计时" in page and "计时暂停中" in page and "至今" in page
    assert "适用规则集：宁夏沙坡头区规定" in page
    act(client, case_id, "materials_supplied")
    act(client, case_id, "start_investigation")
    auth.logout()
    auth.login("inv1")
    assert act(client, case_id, "record_assessment").status_code == 303
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "家庭经济状况核对" in page and "核定金额" in page
    assert "2026年1月1日 起施行的配置（示例值，待管理员确认）" in page
    assert "MT-INCOME" in page and "560.00" in page  # every rule with the standard used


def test_escalations_appear_in_the_timeline_in_plain_words(
    client: FlaskClient, auth: AuthActions, scene: Scene, engine: Any
) -> None:
    from datetime import datetime

    from support import SH

    from caseflow.db.engine import make_session_factory
    from caseflow.timer.sweep import sweep

    sweep(make_session_factory(engine), datetime(2026, 3, 6, 9, 0, tzinfo=SH))
    auth.login("clerk")
    page = client.get(f"/cases/{scene.own.case.id}").get_data(as_text=True)
    assert "已提醒（即将到期）" in page and "已逾期（报乡镇领导）" in page
    assert "受理后启动调查" in page and "level_label" not in page


def test_void_intake_is_offered_to_the_reviewer_not_to_the_window(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case_id = scene.own.case.id
    auth.login("clerk")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "/fire/withdraw" in page and "/fire/void_intake" not in page
    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "/fire/void_intake" in page and "受理了错误的家庭" in page
    missing = act(client, case_id, "void_intake", void_reason="重复受理", reason="")
    assert missing.status_code == 400 and "请填写具体说明" in missing.get_data(as_text=True)
    done = act(client, case_id, "void_intake", void_reason="重复受理", reason="同日受理两次")
    assert done.status_code == 303
    world.session.expire_all()
    assert world.session.get(Case, case_id).state == "voided"  # type: ignore[union-attr]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "已作废（误受理）" in page and "同日受理两次" in page
