"""HTML notices to PDF with WeasyPrint, and the PDF download response.

WeasyPrint needs the OS libraries Pango and PangoFT2; it is imported on first use so the app
starts (and HTML printing keeps working) on a machine without them: a PDF request then gets a
clear 503 page instead of a crash. The renderer reads nothing from the network or the disk
except the two stylesheets below: the notices carry personal data, and a URL in user-entered
text must never make the server fetch anything.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, current_app

# print.css is shared with the browser's print preview; pdf.css adds what only the PDF needs
# (CJK font, page numbers, the few screen classes the notices use).
STYLESHEETS = ("print.css", "pdf.css")


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its OS libraries are missing."""


def _weasyprint() -> Any:
    """The weasyprint module, or PdfUnavailable (missing package, or Pango not installed)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: cffi could not load libpango
        raise PdfUnavailable(str(exc)) from exc
    return weasyprint


class _Renderer:
    """Font configuration and parsed stylesheets, built once per process (parsing the CSS and
    scanning fonts costs more than rendering a one-page notice)."""

    def __init__(self, weasyprint: Any, static: Path) -> None:
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        class _NoFetch(URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                raise ValueError(f"external resource refused: {url[:80]}")

        self.weasyprint = weasyprint
        self.fetcher = _NoFetch()
        self.fonts = FontConfiguration()
        self.css = [
            weasyprint.CSS(
                string=(static / name).read_text(encoding="utf-8"),
                font_config=self.fonts,
                url_fetcher=self.fetcher,
            )
            for name in STYLESHEETS
        ]
        # Pango's font map is not safe to share between threads (waitress serves with several).
        self.lock = threading.Lock()

    def render(self, html: str) -> bytes:
        with self.lock:
            document = self.weasyprint.HTML(string=html, url_fetcher=self.fetcher)
            pdf: bytes = document.write_pdf(stylesheets=self.css, font_config=self.fonts)
        return pdf


@cache
def _renderer(static: str) -> _Renderer:
    return _Renderer(_weasyprint(), Path(static))


def render_pdf(html: str) -> bytes:
    """The PDF of a notice rendered for print (`pdf=True` in its template)."""
    static = current_app.static_folder
    assert static is not None
    return _renderer(static).render(html)


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment` with the Chinese name per RFC 5987/6266 and an ASCII name for old clients."""
    ascii_name = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in fallback
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(data: bytes, mimetype: str, filename: str, fallback: str) -> Response:
    """A download of `data` named `filename` (Chinese allowed; `fallback` for old clients)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback)
    return response


def pdf_response(pdf: bytes, filename: str, fallback: str) -> Response:
    """A download of `pdf` named `filename` (Chinese allowed)."""
    return download(pdf, "application/pdf", filename, fallback)
