"""Printed notices as PDF: a real PDF with the household and case in embedded CJK glyphs (not
tofu), a Chinese file name, masked ID numbers, the same permission and jurisdiction checks as the
HTML printouts, and a clear 503 page when the PDF library cannot load.

Rendering tests need WeasyPrint's OS libraries (Pango): skipped with a reason where they are
missing, required in CI (CASEFLOW_REQUIRE_PDF=1, see tests/support/pdfsupport.py)."""

from __future__ import annotations

import io
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from flask import render_template
from flask.testing import FlaskClient
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from pdfsupport import requires_pdf
from pypdf import PdfReader
from support import T0, World
from walker import Walker
from websupport import AuthActions, Scene

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.kernel.timeutil import utcnow
from caseflow.workflow.registry import registry
from caseflow_web import create_app
from caseflow_web.printouts import pdf as web_pdf
from caseflow_web.printouts.pdf import content_disposition

# One notice must not keep a clerk waiting: CPU seconds of this process (the first render also
# loads the fonts, about 1 s), so a busy machine does not make the test flaky.
MAX_CPU_SECONDS = 3.0
# Rows of the long publicity list: several A4 pages.
ROWS = 60


@dataclass(frozen=True)
class Doc:
    """A printout under test: its HTML path, PDF path and what its PDF must say."""

    html: str
    pdf: str
    title: str  # the Chinese document name that starts the file name
    texts: tuple[str, ...]  # must appear in the PDF's text, drawn by a CJK font


def _cjk(text: str) -> set[str]:
    return {c for c in text if unicodedata.east_asian_width(c) == "W" and c.isalpha()}


def _pdf_text(data: bytes) -> str:
    """The text of every page, without whitespace: lines wrap in the middle of words."""
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def _embedded_fonts(data: bytes) -> dict[str, TTFont]:
    """BaseFont name → the embedded font program, for every font used on any page."""
    fonts: dict[str, TTFont] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                stream = next(
                    (
                        descriptor[k]
                        for k in ("/FontFile3", "/FontFile2", "/FontFile")
                        if k in descriptor
                    ),
                    None,
                )
                assert stream is not None, f"font not embedded: {font['/BaseFont']}"
                fonts[str(font["/BaseFont"])] = TTFont(io.BytesIO(stream.get_object().get_data()))
    return fonts


def _drawn_by_cjk_font(fonts: dict[str, TTFont], char: str) -> bool:
    """True when an embedded Noto CJK font maps `char` to a glyph with an outline (not tofu)."""
    for name, font in fonts.items():
        if "CJK" not in name:
            continue
        glyph = font.getBestCmap().get(ord(char))
        if glyph is None or glyph == ".notdef":
            continue
        glyphs = font.getGlyphSet()
        pen = BoundsPen(glyphs)
        glyphs[glyph].draw(pen)
        if pen.bounds is not None:
            return True
    return False


def assert_real_pdf(response: object, doc: Doc, secrets: tuple[str, ...] = ()) -> str:
    """The response is a PDF download of `doc`, its text drawn with an embedded CJK font."""
    from werkzeug.test import TestResponse

    assert isinstance(response, TestResponse)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    match = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert match, disposition
    assert unquote(match.group(1)).startswith(doc.title) and unquote(match.group(1)).endswith(
        ".pdf"
    )
    assert disposition.encode("latin-1")  # headers must be Latin-1: the Chinese is %-encoded
    text = _pdf_text(data)
    fonts = _embedded_fonts(data)
    assert any("CJK-SC" in name for name in fonts), sorted(fonts)
    for expected in doc.texts:
        assert expected in text, (expected, text[:500])
        for char in _cjk(expected):
            assert _drawn_by_cjk_font(fonts, char), f"{char!r} is not drawn by a CJK font"
    for secret in secrets:
        assert secret not in text
    return text


def _missing_case(world: World, scene: Scene) -> Case:
    case = scene.own.case
    payload = {"missing_items": ["户口簿复印件", "家庭收入证明"]}
    fire(world.session, case.id, "request_materials", world.actor("clerk"), T0, payload)
    return case


def _docs(world: World, scene: Scene) -> list[tuple[Doc, str, Case]]:
    """Every printout, with the user who prints it and the case it is about."""
    own = scene.own.case
    _missing_case(world, scene)
    walker = Walker(world, T0)
    refused = walker.to_state(registry().workflow("dibao"), "refusal_notice")
    publicized = walker.to_state(registry().workflow("dibao"), "publicizing")
    village = world.village.code
    return [
        (
            Doc(
                f"/print/cases/{own.id}/acceptance",
                f"/print/cases/{own.id}/acceptance.pdf",
                "受理通知书",
                ("受理通知书", "王大明", own.case_no, "予以受理", "滨河镇"),
            ),
            "clerk",
            own,
        ),
        (
            Doc(
                f"/print/cases/{own.id}/missing-materials",
                f"/print/cases/{own.id}/missing-materials.pdf",
                "一次性告知书",
                ("一次性告知书", "王大明", own.case_no, "户口簿复印件", "家庭收入证明"),
            ),
            "clerk",
            own,
        ),
        (
            Doc(
                f"/print/cases/{refused.id}/decision",
                f"/print/cases/{refused.id}/decision.pdf",
                "不予确认通知书",
                ("不予确认", "王大明", refused.case_no, "测试说明", "行政复议", "行政诉讼"),
            ),
            "reviewer",
            refused,
        ),
        (
            Doc(
                f"/print/publicity/{village}",
                f"/print/publicity/{village}.pdf",
                "公示名单",
                ("公示名单", "王大明", world.village.name, "身份证号已作脱敏处理"),
            ),
            "leader",
            publicized,
        ),
    ]


@requires_pdf
def test_every_printout_downloads_as_a_pdf_with_embedded_chinese(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    for doc, user, case in _docs(world, scene):
        auth.login(user)
        html = client.get(doc.html).get_data(as_text=True)
        assert f'href="{doc.pdf}"' in html and "下载PDF" in html, doc.html
        started = time.process_time()
        response = client.get(doc.pdf)
        cpu = time.process_time() - started
        full_ids = tuple(m.id_number for m in case.household.members)
        text = assert_real_pdf(response, doc, secrets=full_ids)
        # Masked as on the HTML printouts (640502********1234), for every role.
        head = case.household.members[0]
        assert head.id_number[:6] + "*" * 8 + head.id_number[-4:] in text, doc.pdf
        assert "第1页，共1页" in text  # page numbers in the footer
        assert cpu < MAX_CPU_SECONDS, (doc.pdf, cpu)
        auth.logout()


@requires_pdf
def test_full_id_numbers_stay_masked_even_for_personal_data_roles(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    # The clerk may reveal full ID numbers on the case page (logged); a printed notice leaves the
    # office, so it carries the masked number like the HTML printout does.
    member = scene.own.household.members[0]
    auth.login("clerk")
    response = client.get(f"/print/cases/{scene.own.case.id}/acceptance.pdf")
    text = _pdf_text(response.get_data())
    assert member.id_number not in text and member.id_number[-4:] in text


def test_case_page_links_the_pdfs_of_the_notices_issued_so_far(
    client: FlaskClient, auth: AuthActions, scene: Scene, world: World
) -> None:
    case_id = scene.own.case.id
    auth.login("clerk")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/print/cases/{case_id}/acceptance.pdf"' in page
    # No one-time notice issued yet: nothing to print until it is.
    assert f'href="/print/cases/{case_id}/missing-materials.pdf"' not in page
    asked = {"missing_items": ["户口簿复印件"]}
    fire(world.session, case_id, "request_materials", world.actor("clerk"), utcnow(), asked)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for name in ("acceptance", "missing-materials"):
        assert f'href="/print/cases/{case_id}/{name}.pdf"' in page, name
    # No decision yet, so no decision notice to download (offered once there is one).
    assert f'href="/print/cases/{case_id}/decision.pdf"' not in page
    assert "下载PDF" in page


PDF_URLS: list[Callable[[Scene, World], str]] = [
    lambda s, w: f"/print/cases/{s.other.case.id}/acceptance.pdf",
    lambda s, w: f"/print/cases/{s.other.case.id}/missing-materials.pdf",
    lambda s, w: f"/print/cases/{s.other.case.id}/decision.pdf",
    lambda s, w: f"/print/publicity/{w.other_township.code}.pdf",
]


@pytest.mark.parametrize("url", PDF_URLS, ids=["acceptance", "missing", "decision", "publicity"])
def test_other_township_pdf_is_not_found(
    client: FlaskClient,
    auth: AuthActions,
    scene: Scene,
    world: World,
    url: Callable[[Scene, World], str],
) -> None:
    auth.login("clerk")
    response = client.get(url(scene, world))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert scene.other.case.case_no not in response.get_data(as_text=True)
    auth.logout()
    auth.login("admin")  # accounts only: no casework, no printouts
    assert client.get(url(scene, world)).status_code == 403
    auth.logout()
    assert client.get(url(scene, world)).status_code == 302  # signed out: to the sign-in page


def test_unknown_case_pdf_is_404(client: FlaskClient, auth: AuthActions, scene: Scene) -> None:
    auth.login("clerk")
    assert client.get("/print/cases/999999/decision.pdf").status_code == 404
    assert client.get("/print/publicity/nowhere.pdf").status_code == 404


def test_missing_pdf_library_gives_a_chinese_503_and_html_still_prints(
    client: FlaskClient, auth: AuthActions, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `import weasyprint` fails as it does without Pango (cffi raises OSError, here ImportError).
    web_pdf._renderer.cache_clear()
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    try:
        auth.login("clerk")
        response = client.get(f"/print/cases/{scene.own.case.id}/acceptance.pdf")
        assert response.status_code == 503
        body = response.get_data(as_text=True)
        assert "暂时无法生成PDF" in body and "Ctrl+P" in body
        html = client.get(f"/print/cases/{scene.own.case.id}/acceptance")
        assert html.status_code == 200 and "受理通知书" in html.get_data(as_text=True)
    finally:
        web_pdf._renderer.cache_clear()


def test_content_disposition_carries_the_chinese_name_and_an_ascii_fallback() -> None:
    header = content_disposition("受理通知书-DB-640502100-2026-000001.pdf", "acceptance-DB 1/é.pdf")
    assert header.startswith('attachment; filename="acceptance-DB_1__.pdf"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii() and " " not in encoded
    assert unquote(encoded) == "受理通知书-DB-640502100-2026-000001.pdf"


@requires_pdf
def test_a_long_publicity_list_runs_over_pages_with_headers_and_numbers(tmp_path: Path) -> None:
    # A township-wide list during a review campaign: many rows on several A4 pages.
    # Only the template and the renderer are exercised, so no database (and one run, not two).
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "t", "TESTING": True})
    rows = []
    for i in range(ROWS):
        hh = SimpleNamespace(head_name=f"户主{i:03d}")
        case = SimpleNamespace(case_type="dibao", household=hh)
        head = SimpleNamespace(name=f"户主{i:03d}", id_number=f"640502197005{i:06d}")
        assessment = SimpleNamespace(aid_class="B", amount_fen=56000 + i)
        rows.append((case, head, 2, assessment))
    unit = SimpleNamespace(name="滨河镇")
    with app.test_request_context("/print/publicity/x.pdf"):
        html = render_template("print/publicity.html", pdf=True, unit=unit, rows=rows, today=T0)
        started = time.process_time()
        data = web_pdf.render_pdf(html)
        cpu = time.process_time() - started
    app.extensions["caseflow_engine"].dispose()
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        text = re.sub(r"\s+", "", page.extract_text() or "")
        if "户主" in text.replace("户主姓名", ""):  # a page with rows repeats the header row
            assert "户主姓名" in text and "身份证号" in text, number
        assert f"第{number}页，共{len(pages)}页" in text
    text = _pdf_text(data)
    assert all(f"户主{i:03d}" in text for i in range(ROWS))
    assert f"640502********{ROWS - 1:04d}" in text
    assert f"640502197005{ROWS - 1:06d}" not in text
    assert cpu < MAX_CPU_SECONDS * 3, cpu  # measured: about 1.3 s of CPU for 60 rows


@requires_pdf
def test_the_renderer_fetches_nothing_from_disk_or_network(tmp_path: Path) -> None:
    # Notices carry personal data and user-entered text: the renderer must not read files or
    # make requests. A stylesheet that would turn the page into A5 is linked but never loaded.
    sheet = tmp_path / "a5.css"
    sheet.write_text("@page { size: A5 landscape; }", encoding="utf-8")
    html = (
        f'<html><head><link rel="stylesheet" href="{sheet.as_uri()}">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        f'<body><p>王大明</p><img src="{sheet.as_uri()}"></body></html>'
    )
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        data = web_pdf.render_pdf(html)
    app.extensions["caseflow_engine"].dispose()
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    assert "王大明" in _pdf_text(data)
