"""The portal in a real headless Chromium: pages render, the nav works, charts draw, phones get no sideways scroll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.core.provenance import parse_registry
from biplomacy.house import users
from biplomacy.house import web as house
from biplomacy.store.db import open_store
from tests.web.conftest import DESKTOP, PHONE, png_stats

pytestmark = pytest.mark.browser

HOUSE_PAGES = {"Home": "/", "Peers": "/peers", "Sources": "/sources", "Log in": "/login"}
PILLAR_PAGES = {"Energy": "/energy", "Reserve": "/reserve", "Supervision": "/supervision"}


def _nav(page: Any) -> Any:
    return page.get_by_role("navigation", name="Main")


def test_home_page_renders_in_a_real_browser(live_server: str, browser_page: Any) -> None:
    response = browser_page.goto(live_server + "/")
    assert response.status == 200
    assert browser_page.title() == "Home · Biplomacy"
    assert browser_page.get_by_role("heading", level=1).inner_text() == "Software for a national Bitcoin program"
    assert browser_page.locator(".cards .card").count() == 4
    assert browser_page.js_errors == []


def test_every_nav_link_leads_to_its_page(live_server: str, browser_page: Any) -> None:
    browser_page.goto(live_server + "/")
    for label, path in {**HOUSE_PAGES, **PILLAR_PAGES}.items():
        with browser_page.expect_navigation() as navigation:
            _nav(browser_page).get_by_role("link", name=label, exact=True).click()
        status = navigation.value.status
        assert browser_page.url == live_server + path
        # Pillar pages belong to their pillars: until one lands its link may 404, but never fail.
        assert status == 200 if path in HOUSE_PAGES.values() else status in (200, 404), (label, status)
        current = _nav(browser_page).locator('a[aria-current="page"]')
        if status == 200 and label != "Log in":
            assert current.inner_text() == label
        assert _nav(browser_page).is_visible()


def test_every_nav_page_fits_a_phone_screen(live_server: str, browser_page: Any) -> None:
    browser_page.set_viewport_size(PHONE)
    for path in {**HOUSE_PAGES, **PILLAR_PAGES}.values():
        browser_page.js_errors.clear()
        response = browser_page.goto(live_server + path)
        assert response.status < 500, path
        overflow = browser_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a 375px phone"
        if response.status == 200:  # a pillar page that has not landed is a 404, which the console reports
            assert browser_page.js_errors == [], path


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-375"])
def test_home_page_screenshot_fits_the_screen(live_server: str, live_settings: Settings, browser_page: Any,
                                             tmp_path: Path, viewport: dict[str, int]) -> None:
    store = open_store(live_settings)
    users.add_user(store, LOCAL_ADMIN, "imf-reviewer", "auditor")  # so the page shows a 64-digit audit hash
    store.dispose()
    browser_page.set_viewport_size(viewport)
    browser_page.set_content("<html><body style='margin:0;background:#fff'></body></html>")
    blank = png_stats(browser_page.screenshot())

    browser_page.goto(live_server + "/")
    shot = tmp_path / f"home-{viewport['width']}.png"
    browser_page.screenshot(path=str(shot))

    width, height, ink = png_stats(shot.read_bytes())
    assert (width, height) == (viewport["width"], viewport["height"])
    assert ink > blank[2] + 0.02, f"the screenshot {shot} looks blank ({ink:.3f} vs {blank[2]:.3f})"
    overflow = browser_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at {viewport['width']}px"
    assert browser_page.locator("header.site-header").is_visible()
    assert browser_page.locator("footer [data-audit-head]").get_attribute("data-audit-head") != ""
    for link in _nav(browser_page).get_by_role("link").all():
        box = link.bounding_box()
        assert link.is_visible() and box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], link.inner_text()


FACTS = """
[[fact]]
key = "energy.test.surplus"
label = "Surplus power"
value = "2000"
unit = "MW"
date = "2025-05-28"
source = "A press release"
publisher = "A ministry"
url = "https://ministry.example/press-release"

[[fact]]
key = "energy.test.guess"
label = "A planning guess"
value = "0.5"
unit = "ratio"
date = "2025-01-01"
assumption = "reasoned in the test"
"""


def test_a_vega_chart_draws_from_the_vendored_scripts(live_server: str, browser_page: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    registry = parse_registry({"energy": FACTS, "reserve": FACTS.replace("energy.test", "reserve.test")})
    monkeypatch.setattr(house, "load_registry", lambda: registry)
    outside: list[str] = []
    browser_page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)

    browser_page.goto(live_server + "/sources")
    browser_page.wait_for_selector("#sources-chart[data-chart-ready='true'] svg")
    bars = browser_page.locator("#sources-chart g.mark-rect path")
    assert bars.count() == 4  # two pillars x (sourced, assumption)
    assert browser_page.js_errors == []
    assert outside == [], "the page fetched something from another host"


def test_an_officer_logs_in_and_out_in_the_browser(live_server: str, live_settings: Settings,
                                                   browser_page: Any) -> None:
    store = open_store(live_settings)
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password="a long enough password")
    store.dispose()
    page = browser_page

    page.goto(live_server + "/")
    _nav(page).get_by_role("link", name="Log in").click()
    page.get_by_label("User name").fill("sana")
    page.get_by_label("Password").fill("a long enough password")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url == live_server + "/"
    assert "sana" in _nav(page).inner_text()
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read the session

    with page.expect_navigation():
        _nav(page).get_by_role("button", name="Log out").click()
    assert _nav(page).get_by_role("link", name="Log in").is_visible()
    assert "sana" not in _nav(page).inner_text()
    assert page.js_errors == []


def test_api_docs_render_from_the_vendored_swagger_ui(live_server: str, browser_page: Any) -> None:
    outside: list[str] = []
    browser_page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    browser_page.goto(live_server + "/api/docs")
    browser_page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/sources']")
    assert outside == []
