"""/peers in a real headless Chromium: the table, the holdings-over-time chart and the history render at 1280 and
at 375 px wide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-375"])
def test_the_table_and_chart_render(live_server: str, browser_page: Any, viewport: dict[str, int]) -> None:
    browser_page.set_viewport_size(viewport)
    response = browser_page.goto(live_server + "/peers")
    assert response.status == 200
    table = browser_page.locator("table.peers-table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 8
    assert browser_page.locator('td[data-label="El Salvador"]').first.inner_text().startswith("7,474 BTC")
    chart = browser_page.locator('#peers-reserve[data-chart-ready="true"]')
    chart.wait_for(state="visible")
    assert chart.locator("svg").count() >= 1
    points = chart.locator("path[aria-roledescription='point']")
    assert points.count() >= 10  # every dated reserve figure of El Salvador, Bhutan and the US estimates
    assert browser_page.locator("#dispute-sv-accumulation-2025").is_visible()
    assert browser_page.locator("table.history-table").count() == 4
    overflow = browser_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/peers scrolls sideways by {overflow}px at {viewport['width']}px"
    assert browser_page.js_errors == []
