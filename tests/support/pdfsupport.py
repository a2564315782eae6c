"""Whether this machine can render PDFs: WeasyPrint needs Pango from the OS packages.

Like the PostgreSQL and browser tests, the PDF tests are skipped with a visible reason where the OS
libraries are missing (a fresh machine with only Python), and required where
CASEFLOW_REQUIRE_PDF=1 (CI installs libpango and fonts-noto-cjk, so nothing is skipped there)."""

from __future__ import annotations

import os

import pytest

REQUIRE_PDF = os.environ.get("CASEFLOW_REQUIRE_PDF") == "1"


def _pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: cffi could not load libpango
        if REQUIRE_PDF:
            raise
        return False
    return True


PDF_AVAILABLE = _pdf_available()

requires_pdf = pytest.mark.skipif(
    not PDF_AVAILABLE,
    reason="WeasyPrint cannot load Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
    "fonts-noto-cjk to run these)",
)

# What an allowed request for a .pdf answers: the PDF, or the app's Chinese 503 page without Pango.
PDF_OK = frozenset({200}) if PDF_AVAILABLE else frozenset({503})
