"""The energy page's charts render in a real browser (Vega-Lite from the vendored scripts)."""

import pytest

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.energy.plan import keep_plan, plan_scenario
from biplomacy.store.db import open_store
from tests.energy.plan.conftest import write_scenario


@pytest.mark.browser
def test_energy_charts_render_in_a_real_browser(live_server, live_settings, browser_page, tmp_path):
    folder = write_scenario(tmp_path / "s", demand=[700.0] * 24, hydro=[600.0 + 10 * t for t in range(24)],
                            rlng=[200.0] * 24, cap=150.0, ai=0.0)
    store = open_store(live_settings)
    keep_plan(store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, str(folder)), out_dir=tmp_path / "o")
    store.dispose()
    browser_page.goto(f"{live_server}/energy")
    browser_page.wait_for_selector("#heatmap svg, #heatmap canvas", timeout=15000)
    # this small grid's surplus pays for no mining: the page says so rather than "not computed"
    assert browser_page.inner_text("#btc-per-year") == "none"
    assert "installs no mining" in browser_page.inner_text(".figure-callout")
