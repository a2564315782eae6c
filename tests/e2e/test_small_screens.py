"""The pages investigators and the front desk use, on a phone (390 px) and a tablet (768 px):
nothing runs off the side of the page, the header stays a header (a compact menu on the phone),
and wide tables scroll inside their own box."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2esupport import ARTIFACTS, PASSWORD, Server
from support import T0
from walker import Walker

from caseflow.workflow.registry import registry

WIDTHS = (390, 768)
# The header of a phone shows the title and a menu button; on a tablet the links wrap onto a
# few lines. Neither may grow into a column of single characters.
MAX_HEADER = {390: 80, 768: 200}


def open_page(browser: Any, width: int) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 844 if width == 390 else 1024},
        locale="zh-CN",
        is_mobile=width == 390,
        has_touch=True,
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.viewport_width = width
    return pg


def close_page(pg: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"small-{name}-last.png"), full_page=True)
    pg.context.close()


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def small(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone (390 px) or a tablet (768 px)."""
    pg = open_page(browser, request.param)
    yield pg
    close_page(pg, request.node.name)


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    pg = open_page(browser, 390)
    yield pg
    close_page(pg, request.node.name)


def sign_in(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


def header_height(page: Any) -> float:
    return float(page.evaluate("() => document.querySelector('header.topbar').offsetHeight"))


def link_heights(page: Any) -> list[int]:
    """Heights of the header's visible links (one line each: no column of characters)."""
    return list(
        page.evaluate(
            "() => [...document.querySelectorAll('header.topbar nav a, header.topbar .me a')]"
            ".filter(a => a.offsetParent !== null).map(a => a.offsetHeight)"
        )
    )


def check_fits(page: Any, what: str) -> None:
    width = page.viewport_width
    assert overflow(page) <= 0, f"{what} at {width}px runs {overflow(page)}px off the screen"
    assert header_height(page) <= MAX_HEADER[width], f"{what}: header {header_height(page)}px"
    assert all(h < 48 for h in link_heights(page)), link_heights(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"small-{width}-{what}.png"), full_page=True)


def test_an_investigators_pages_fit_a_phone_and_a_tablet(small: Any, server: Server) -> None:
    world = server.world
    walker = Walker(world, T0)
    case = walker.to_state(registry().workflow("dibao"), "investigating")
    for _ in range(3):
        walker.to_state(registry().workflow("dibao"), "investigating")
    world.session.commit()
    sign_in(small, server, "inv1")
    check_fits(small, "queue")
    assert small.locator(f"tr[data-case-id='{case.id}']").count() == 1
    small.goto(f"{server.url}/cases/{case.id}")
    small.wait_for_selector("#actions")
    check_fits(small, "case")
    small.goto(f"{server.url}/cases/")
    check_fits(small, "case-list")
    small.goto(f"{server.url}/inbox")
    check_fits(small, "inbox")


def test_the_household_form_fits_and_its_member_table_scrolls_in_its_box(
    small: Any, server: Server
) -> None:
    sign_in(small, server, "clerk")
    small.goto(f"{server.url}/desk/households/new")
    small.wait_for_selector("table.members")
    check_fits(small, "household-form")
    box = small.locator(".table-scroll:has(table.members)")
    assert box.count() == 1
    scrolls = box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert scrolls or small.viewport_width > 390  # on a phone the member table scrolls


def test_on_a_phone_the_menu_opens_and_closes_with_its_button(phone: Any, server: Server) -> None:
    sign_in(phone, server, "inv1")
    nav = phone.locator("header.topbar nav")
    toggle = phone.locator("header.topbar button.menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible() and phone.locator("header nav a:has-text('待办')").is_visible()
    heights = link_heights(phone)
    assert len(heights) >= 5 and max(heights) < 48, heights  # every link on one line
    assert overflow(phone) <= 0
    phone.click("header nav a:has-text('案件')")
    phone.wait_for_url("**/cases/")
    assert not phone.locator("header.topbar nav").is_visible()  # closed on the next page
    toggle.click()
    toggle.click()
    assert not nav.is_visible() and toggle.get_attribute("aria-expanded") == "false"


def test_on_a_tablet_the_header_links_stay_visible_without_a_menu_button(
    browser: Any, server: Server
) -> None:
    tablet = open_page(browser, 768)
    try:
        sign_in(tablet, server, "inv1")
        assert not tablet.locator("header.topbar button.menu-toggle").is_visible()
        assert tablet.locator("header nav a:has-text('待办')").is_visible()
    finally:
        close_page(tablet, "tablet-header")
