"""In a real browser, a clerk prints the standing publicity (长期公示) of the village: the
recipients in payment with their heads' names masked, from the navigation to the PDF."""

from __future__ import annotations

from typing import Any

from e2esupport import Server
from payments_support import approve, at
from pdfsupport import requires_pdf
from test_journeys import shot, sign_in


@requires_pdf
def test_village_standing_publicity_shows_masked_names_and_downloads_as_pdf(
    page: Any, server: Server
) -> None:
    approve(server.world, at(2026, 3, 10))  # head 王大明, paid from April on
    sign_in(page, server, "clerk")
    page.click("header a:has-text('公示名单')")
    page.click("a:has-text('长期公示')")
    page.click("ul.units a:has-text('示例村')")
    table = page.inner_text("#standing-list")
    assert "王*明" in table and "王大明" not in page.content()
    assert "低保" in table and "A类" in table
    assert "640502" not in table  # no ID number on a public list
    shot(page, "standing-publicity")
    with page.expect_download() as info:
        page.click("a.pdf-link")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert "长期公示" in download.suggested_filename
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
