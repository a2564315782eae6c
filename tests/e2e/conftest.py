"""Browser fixtures: the app served by waitress on a loopback port over a SQLite file, and a
headless Debian chromium driven by Playwright (no `playwright install`, nothing downloaded)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2esupport import ARTIFACTS, PASSWORD, Server

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE = os.environ.get("CASEFLOW_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return "Debian chromium not installed (apt-get install -y chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        if REQUIRE:
            pytest.fail(f"CASEFLOW_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path) -> Iterator[Server]:
    """A fresh SQLite file with the test world, served by waitress in a background thread."""
    import shutil

    import waitress
    from support import build_world

    from caseflow.accounts.users import hash_password
    from caseflow.db.engine import make_engine, make_session_factory
    from caseflow_web import create_app

    db_path = tmp_path / "e2e.sqlite3"
    shutil.copy(sqlite_template, db_path)
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    session = make_session_factory(engine)()
    world = build_world(session)
    hashed = hash_password(PASSWORD)
    for user in world.users.values():
        user.password_hash = hashed
    session.commit()
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "e2e",
            "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        }
    )
    srv = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{srv.effective_port}", world)  # type: ignore[union-attr]
    srv.close()
    thread.join(timeout=5)
    session.close()
    app.extensions["caseflow_engine"].dispose()
    engine.dispose()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()
