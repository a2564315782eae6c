"""The payments page: prepare a roll, read it with masked personal data, remove a row and
acknowledge findings through forms, sign it, download the bank files (finance only, logged)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from payments_support import approve, at
from sqlalchemy import select
from support import World
from websupport import AuthActions
from werkzeug.test import TestResponse

from caseflow.db.models import AdminEvent, Case, Member
from caseflow.payments.models import PaymentRoll, RiskFinding, RollRow


def _roll(world: World) -> PaymentRoll:
    world.session.rollback()
    return world.session.scalars(select(PaymentRoll).order_by(PaymentRoll.id.desc())).first()  # type: ignore[return-value]


def _version(body: str) -> str:
    found = re.search(r'name="expected_version" value="(\d+)"', body)
    assert found is not None
    return found.group(1)


def _fire(client: FlaskClient, roll_id: int, trigger: str, **fields: str) -> TestResponse:
    """Post a roll transition through its form, with the version the roll page shows now."""
    body = client.get(f"/payments/{roll_id}").get_data(as_text=True)
    data = {"expected_version": _version(body), **fields}
    return client.post(f"/payments/{roll_id}/fire/{trigger}", data=data)


def _two_row_roll(
    world: World, client: FlaskClient, auth: AuthActions
) -> tuple[PaymentRoll, RollRow]:
    """April's roll of two approved households (200 and 300 元), prepared by the reviewer
    (left signed in), and its first row."""
    approve(world, at(2026, 3, 10), amount=20000)
    approve(world, at(2026, 3, 11), amount=30000)
    auth.login("reviewer")
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-04"})
    roll = _roll(world)
    row = world.session.scalars(
        select(RollRow).where(RollRow.roll_id == roll.id).order_by(RollRow.id)
    ).first()
    assert row is not None
    return roll, row


def test_prepare_check_acknowledge_sign_and_export(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    ok = approve(world, at(2026, 3, 10), amount=20000)
    low = approve(world, at(2026, 3, 11), amount=500)  # below the monthly minimum: a finding
    auth.login("reviewer")
    page = client.get("/payments/")
    assert page.status_code == 200 and "编制名册" in page.get_data(as_text=True)
    bad = client.post("/payments/prepare", data={"township": "640502100", "month": "2026/4"})
    assert bad.status_code == 400 and "月份格式应为 YYYY-MM" in bad.get_data(as_text=True)
    assert _roll(world) is None
    done = client.post("/payments/prepare", data={"township": "640502100", "month": "2026-04"})
    assert done.status_code == 303
    roll = _roll(world)
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "金额超出规则集范围" in body and "205.00" in body  # 200.00 + 5.00
    head = world.session.scalars(
        select(Member).where(Member.household_id == ok.household_id, Member.relation == "户主")
    ).one()
    assert head.id_number not in body  # masked on the page, for every role
    assert head.id_number[-4:] in body
    assert "银行代发文件" not in body  # not finance, not signed
    auth.logout()

    auth.login("leader")
    _fire(client, roll.id, "check")
    auth.logout()

    auth.login("finance")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "乡镇已审核，待区财务签发" in body
    refused = _fire(client, roll.id, "sign")
    assert refused.status_code == 303
    assert "风险提示未确认" in client.get(f"/payments/{roll.id}").get_data(as_text=True)
    finding = world.session.scalars(select(RiskFinding).where(RiskFinding.roll_id == roll.id)).one()
    assert finding.household_id == low.household_id
    _fire(client, roll.id, "acknowledge_finding", p_finding_id=str(finding.id), p_note="核实无误")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "已确认：核实无误" in body
    _fire(client, roll.id, "sign")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "已签发（不可更改）" in body and "银行代发文件" in body
    csv_file = client.get(f"/payments/{roll.id}/export.csv")
    assert csv_file.status_code == 200
    text = csv_file.get_data().decode("utf-8-sig")
    assert head.id_number in text and "合计,2 笔,,,205.00" in text
    assert [line.split(",")[0] for line in text.splitlines()[1:3]] == ["1", "2"]  # 序号
    xlsx = client.get(f"/payments/{roll.id}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    world.session.rollback()
    logged = world.session.scalars(
        select(AdminEvent.action).where(AdminEvent.action == "roll_export")
    ).all()
    assert len(logged) == 2
    auth.logout()

    auth.login("reviewer")
    assert client.get(f"/payments/{roll.id}/export.csv").status_code == 403
    auth.logout()
    auth.login("approver")
    assert client.get(f"/payments/{roll.id}/export.xlsx").status_code == 403


def test_remove_row_through_the_form_and_bad_input(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    roll, row = _two_row_roll(world, client, auth)
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    # Not a row of this roll: refused with a reason, nothing changed.
    client.post(
        f"/payments/{roll.id}/fire/remove_row",
        data={"expected_version": _version(body), "p_row_id": "999999", "p_reason": "x"},
    )
    assert "名册中没有该行" in client.get(f"/payments/{roll.id}").get_data(as_text=True)
    client.post(
        f"/payments/{roll.id}/fire/remove_row",
        data={"expected_version": _version(body), "p_row_id": str(row.id), "p_reason": "已死亡"},
    )
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "已移出：已死亡" in body
    world.session.rollback()
    assert world.session.get(PaymentRoll, roll.id).total_fen == 50000 - row.amount_fen  # type: ignore[union-attr]
    # A foreign township cannot be prepared, and the foreign user sees no roll.
    assert (
        client.post(
            "/payments/prepare", data={"township": "640502101", "month": "2026-04"}
        ).status_code
        == 400
    )
    auth.logout()
    auth.login("other_reviewer")
    assert client.get(f"/payments/{roll.id}").status_code == 404
    assert client.get(f"/payments/case/{roll.case_id}").status_code == 404
    assert client.get(f"/cases/{roll.case_id}").status_code == 404
    auth.logout()
    auth.login("clerk")  # no payments role at all
    assert client.get("/payments/").status_code == 403
    assert client.get(f"/cases/{roll.case_id}").status_code == 303  # case page → roll page


def test_corrections_to_a_signed_roll_are_adjustments_for_the_next_roll(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    approve(world, at(2026, 3, 10), amount=20000)
    auth.login("reviewer")
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-04"})
    roll = _roll(world)
    row = world.session.scalars(select(RollRow).where(RollRow.roll_id == roll.id)).one()
    refused = client.post(
        f"/payments/{roll.id}/adjust",
        data={"row_id": str(row.id), "amount": "10", "reason": "x", "direction": "pay"},
    )
    assert refused.status_code == 303
    assert "名册尚未签发" in client.get(f"/payments/{roll.id}").get_data(as_text=True)
    auth.logout()
    auth.login("leader")
    _fire(client, roll.id, "check")
    auth.logout()
    auth.login("finance")
    _fire(client, roll.id, "sign")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "登记调整" in body
    client.post(
        f"/payments/{roll.id}/adjust",
        data={"row_id": str(row.id), "amount": "十元", "reason": "少发", "direction": "pay"},
    )
    assert "金额格式不正确" in client.get(f"/payments/{roll.id}").get_data(as_text=True)
    client.post(
        f"/payments/{roll.id}/adjust",
        data={
            "row_id": str(row.id),
            "amount": "15.50",
            "reason": "多发扣回",
            "direction": "recover",
        },
    )
    auth.logout()
    auth.login("reviewer")
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-05"})
    may = _roll(world)
    got = sorted(
        (r.kind, r.for_month, r.amount_fen)
        for r in world.session.scalars(select(RollRow).where(RollRow.roll_id == may.id))
    )
    assert got == [("adjustment", "2026-04", -1550), ("monthly", "2026-05", 20000)]


def _serials(body: str) -> list[str]:
    """The 序号 column of the roll page's rows, in page order."""
    table = body.split('id="rows"', 1)[1]
    return re.findall(r'<tr data-row-id="\d+"[^>]*>\s*<td>([^<]*)</td>', table)


def test_rows_are_numbered_from_one_on_every_roll_and_skip_removed_rows(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    for day in (10, 11, 12):
        approve(world, at(2026, 3, day), amount=20000)
    auth.login("reviewer")
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-04"})
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-05"})
    may = _roll(world)
    first = world.session.scalars(
        select(RollRow.id).where(RollRow.roll_id == may.id).order_by(RollRow.id)
    ).first()
    assert first is not None and first > 3  # the April roll's rows came first
    assert _serials(client.get(f"/payments/{may.id}").get_data(as_text=True)) == ["1", "2", "3"]
    _fire(client, may.id, "remove_row", p_row_id=str(first), p_reason="重复")
    body = client.get(f"/payments/{may.id}").get_data(as_text=True)
    assert _serials(body) == ["—", "1", "2"]


def test_a_removal_after_the_check_returns_the_roll_for_a_new_check(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    roll, first = _two_row_roll(world, client, auth)
    row = first.id
    auth.logout()
    auth.login("leader")
    _fire(client, roll.id, "check")
    auth.logout()
    auth.login("finance")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert 'data-trigger="sign"' in body
    assert 'data-trigger="remove_row"' not in body  # removal is offered on each row only
    _fire(client, roll.id, "remove_row", p_row_id=str(row), p_reason="已死亡")
    body = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "乡镇已编制" in body and 'data-trigger="sign"' not in body
    world.session.rollback()
    assert world.session.get(Case, roll.case_id).state == "prepared"  # type: ignore[union-attr]
    auth.logout()
    auth.login("leader")
    _fire(client, roll.id, "check")
    auth.logout()
    auth.login("finance")
    _fire(client, roll.id, "sign")
    world.session.rollback()
    signed = world.session.get(PaymentRoll, roll.id)
    removed = world.session.get(RollRow, row)
    assert signed is not None and removed is not None and signed.signed_at is not None
    assert signed.total_fen == 50000 - removed.amount_fen


def test_a_supplement_for_a_late_approval_through_the_prepare_form(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    april, _row = _two_row_roll(world, client, auth)
    early = client.post(
        "/payments/prepare",
        data={"township": "640502100", "month": "2026-04", "kind": "supplement"},
    )
    assert early.status_code == 400 and "尚未审核" in early.get_data(as_text=True)
    auth.logout()
    auth.login("leader")
    _fire(client, april.id, "check")
    auth.logout()
    world.session.rollback()  # a fresh snapshot: the web requests wrote meanwhile
    late = approve(world, at(2026, 3, 28), amount=45600)
    auth.login("reviewer")
    made = client.post(
        "/payments/prepare",
        data={"township": "640502100", "month": "2026-04", "kind": "supplement"},
    )
    assert made.status_code == 303
    supplement = _roll(world)
    assert supplement.id != april.id and supplement.supplement_no == 1
    body = client.get(f"/payments/{supplement.id}").get_data(as_text=True)
    assert "2026年4月第1次补发名单" in body and "456.00" in body and _serials(body) == ["1"]
    rows = world.session.scalars(select(RollRow.case_id).where(RollRow.roll_id == supplement.id))
    assert list(rows) == [late.id]
    listing = client.get("/payments/").get_data(as_text=True)
    assert "第1次补发" in listing
    regular = client.get(f"/payments/{april.id}").get_data(as_text=True)
    assert f'href="/payments/{supplement.id}"' in regular and "（第1次补发）" in regular
    assert f'href="/payments/{april.id}"' in body and "（当月名册）" in body
    again = client.post(
        "/payments/prepare",
        data={"township": "640502100", "month": "2026-04", "kind": "supplement"},
    )
    assert again.status_code == 400 and "尚未审核" in again.get_data(as_text=True)


def _signed_one_row_roll(
    world: World, client: FlaskClient, auth: AuthActions
) -> tuple[PaymentRoll, RollRow]:
    """April's roll of one household (200 元 a month), checked and signed (finance left signed
    in), and its row."""
    approve(world, at(2026, 3, 10), amount=20000)
    auth.login("reviewer")
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-04"})
    roll = _roll(world)
    row = world.session.scalars(select(RollRow).where(RollRow.roll_id == roll.id)).one()
    auth.logout()
    auth.login("leader")
    _fire(client, roll.id, "check")
    auth.logout()
    auth.login("finance")
    _fire(client, roll.id, "sign")
    return roll, row


def test_adjustments_through_the_forms_are_bounded_and_withdrawn_before_the_check(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    roll, row = _signed_one_row_roll(world, client, auth)
    for amount, message in (
        ("100000000", "补发不能超过该月按保障记录应发的金额"),
        ("90000000000000000", "金额超出可处理范围"),
        ("1e308", "金额超出可处理范围"),
        ("NaN", "金额格式不正确"),
    ):
        posted = client.post(
            f"/payments/{roll.id}/adjust",
            data={"row_id": str(row.id), "amount": amount, "reason": "补发", "direction": "pay"},
        )
        assert posted.status_code == 303
        assert message in client.get(f"/payments/{roll.id}").get_data(as_text=True), amount
    for amount in ("120", "30"):
        client.post(
            f"/payments/{roll.id}/adjust",
            data={
                "row_id": str(row.id),
                "amount": amount,
                "reason": "银行退回",
                "direction": "pay",
            },
        )
    auth.logout()
    auth.login("reviewer")
    page = client.get("/payments/").get_data(as_text=True)
    pending = re.findall(r'data-adjustment-id="(\d+)"', page)
    assert len(pending) == 2 and "待发放的调整" in page
    withdrawn = client.post(f"/payments/adjustments/{pending[1]}/withdraw", data={"reason": ""})
    assert withdrawn.status_code == 303
    assert "请填写撤回理由" in client.get("/payments/").get_data(as_text=True)
    client.post(f"/payments/adjustments/{pending[1]}/withdraw", data={"reason": "重复登记"})
    assert (
        re.findall(r'data-adjustment-id="(\d+)"', client.get("/payments/").get_data(as_text=True))
        == pending[:1]
    )
    client.post("/payments/prepare", data={"township": "640502100", "month": "2026-05"})
    may = _roll(world)
    body = client.get(f"/payments/{may.id}").get_data(as_text=True)
    assert "调整金额较大" in body  # 120 元 of a 200 元 month is above 50 %
    adj_row = world.session.scalars(
        select(RollRow).where(RollRow.roll_id == may.id, RollRow.kind == "adjustment")
    ).one()
    assert f'data-withdraw="{adj_row.adjustment_id}"' in body
    _fire(client, may.id, "withdraw_adjustment", p_row_id=str(adj_row.id), p_reason="核实无误")
    world.session.rollback()
    assert world.session.get(PaymentRoll, may.id).total_fen == 20000  # type: ignore[union-attr]
    assert "data-withdraw=" not in client.get(f"/payments/{may.id}").get_data(as_text=True)
