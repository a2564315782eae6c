"""The payment roll printed for stamping: rows 1..N with masked personal data, totals, who
prepared, checked and signed it and when, signature and stamp boxes; landscape A4 as HTML and as
a PDF with embedded Chinese; payment roles inside their jurisdiction only."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from payments_support import TOWNSHIP, approve, at
from pdfsupport import requires_pdf
from pypdf import PdfReader
from sqlalchemy import select
from support import World
from test_printouts_pdf import Doc, assert_real_pdf
from websupport import AuthActions

from caseflow.db.models import Case, Member
from caseflow.engine.fire import fire
from caseflow.payments.models import PaymentRoll
from caseflow.payments.roll import prepare_roll
from caseflow.read import roll_print as roll_print_module


def _signed_roll(world: World) -> tuple[PaymentRoll, list[Case]]:
    cases = [
        approve(world, at(2026, 3, 10), amount=20000),
        approve(world, at(2026, 3, 11), amount=35050),
    ]
    s = world.session
    roll = prepare_roll(s, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 3, 25, 9))
    fire(s, roll.case_id, "check", world.actor("leader"), at(2026, 3, 26, 10))
    fire(s, roll.case_id, "sign", world.actor("finance"), at(2026, 3, 27, 11))
    s.expire_all()
    return roll, cases


def _heads(world: World, cases: list[Case]) -> list[Member]:
    return [
        world.session.scalars(
            select(Member).where(Member.household_id == c.household_id, Member.relation == "户主")
        ).one()
        for c in cases
    ]


def test_the_printed_roll_names_its_signers_totals_and_numbers_rows_from_one(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    approve(world, at(2026, 3, 9), amount=10000)
    s = world.session
    voided = prepare_roll(s, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 3, 20))
    fire(s, voided.case_id, "cancel", world.actor("reviewer"), at(2026, 3, 21), {"reason": "重编"})
    roll, cases = _signed_roll(world)  # its rows' ids do not start at 1
    auth.login("finance")
    page = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert f'href="/print/rolls/{roll.id}"' in page
    body = client.get(f"/print/rolls/{roll.id}").get_data(as_text=True)
    assert 'class="sheet landscape"' in body and "A4 横向" in body
    assert f'href="/print/rolls/{roll.id}.pdf"' in body
    assert re.findall(r"<tr><td>(\d+)</td>", body) == ["1", "2", "3"]
    assert "合计：3 行，3 户" in body and "650.50" in body  # 100 + 200 + 350.50
    for step, name, day in (
        ("编制（乡镇经办人）", "reviewer", "2026年3月25日"),
        ("审核（乡镇领导）", "leader", "2026年3月26日"),
        ("签发（区财务（发放））", "finance", "2026年3月27日"),
    ):
        box = body.split(step, 1)[1].split("</td>", 1)[0]
        assert f"姓名：{name}" in box and f"日期：{day}" in box, box
    assert "滨河镇（盖章）" in body and "沙坡头区民政局（盖章）" in body
    assert "尚未签发" not in body
    for head in _heads(world, cases):
        assert head.id_number not in body and head.id_number[-4:] in body
    auth.logout()


def test_an_unsigned_roll_prints_as_a_draft_with_empty_boxes_and_only_for_its_township(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    approve(world, at(2026, 3, 10), amount=20000)
    roll = prepare_roll(
        world.session, world.actor("reviewer"), TOWNSHIP, "2026-04", at(2026, 3, 25)
    )
    auth.login("leader")
    body = client.get(f"/print/rolls/{roll.id}").get_data(as_text=True)
    assert "本名册尚未签发，仅供核对" in body
    checker = body.split("审核（乡镇领导）", 1)[1].split("</td>", 1)[0]
    assert "leader" not in checker and "年　　月　　日" in checker
    auth.logout()
    auth.login("other_reviewer")
    assert client.get(f"/print/rolls/{roll.id}").status_code == 404
    assert client.get(f"/print/rolls/{roll.id}.pdf").status_code == 404
    auth.logout()
    auth.login("clerk")  # no payments role
    assert client.get(f"/print/rolls/{roll.id}").status_code == 403


@requires_pdf
def test_the_printed_roll_downloads_as_a_landscape_pdf_with_embedded_chinese(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    roll, cases = _signed_roll(world)
    case_no = world.session.get(Case, roll.case_id).case_no  # type: ignore[union-attr]
    auth.login("finance")
    response = client.get(f"/print/rolls/{roll.id}.pdf")
    doc = Doc(
        f"/print/rolls/{roll.id}",
        f"/print/rolls/{roll.id}.pdf",
        "发放名册",
        ("发放名册", case_no, "乡镇领导", "leader", "签发", "盖章", "合计", "550.50"),
    )
    heads = _heads(world, cases)
    text = assert_real_pdf(response, doc, secrets=tuple(h.id_number for h in heads))
    assert heads[0].id_number[-4:] in text
    page = PdfReader(io.BytesIO(response.get_data())).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height and round(width / 72 * 25.4) == 297  # A4 landscape


def test_a_large_roll_prints_in_parts_numbered_on_with_the_totals_of_the_whole(
    world: World, client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roll_print_module, "PART_ROWS", 2)
    approve(world, at(2026, 3, 9), amount=10000)
    roll, _cases = _signed_roll(world)
    auth.login("finance")
    first = client.get(f"/print/rolls/{roll.id}").get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td>", first) == ["1", "2"]
    assert "第 1 册，共 2 册" in first and f"/print/rolls/{roll.id}?part=2" in first
    second = client.get(f"/print/rolls/{roll.id}?part=2").get_data(as_text=True)
    assert re.findall(r"<tr><td>(\d+)</td>", second) == ["3"]
    assert "本册小计：1 行" in second and "全册合计：3 行，3 户" in second and "650.50" in second
    assert f'href="/print/rolls/{roll.id}.pdf?part=2"' in second
    assert "姓名：finance" in second  # every part carries the boxes
    assert client.get(f"/print/rolls/{roll.id}?part=3").status_code == 404
    assert client.get(f"/print/rolls/{roll.id}?part=x").status_code == 200  # read as part 1
