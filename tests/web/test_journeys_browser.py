"""The journeys of shared/JOURNEYS.md in Chromium, on a portal loaded as the demo loads it (a rehearsal reserve
wallet, an adopted plan and a draft, the fictional register, a stored AML scan): no rehearsal figure appears
unmarked on a public page, every page fits 375 and 1280 px without a table cut off (screenshots at both widths),
and the analysts' and reviewers' steps end where they want."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.store.db import open_store
from tests.web.conftest import DESKTOP, PHONE, png_stats

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REHEARSAL_BTC = "7.77777"  # a figure that appears nowhere else, so each place it shows can be checked
PASSWORD = "a long enough password"
PUBLIC_PAGES = ("/", "/reserve", "/energy", "/peers", "/supervision", "/supervision/register", "/sources")


def _load(settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """What `make run` leaves, quickly: a rehearsal wallet funded on the rehearsal chain, a small plan adopted
    and a draft beside it, the fictional register, an AML scan of the sample transactions, a supervisor."""
    from biplomacy.aml.cases import store_scan
    from biplomacy.energy.plan import adopt_plan, keep_plan, plan_scenario
    from biplomacy.house import users
    from biplomacy.reserve import wallets
    from biplomacy.reserve.rehearsal import chain
    from biplomacy.reserve.rehearsal.source import chain_for
    from biplomacy.supervision.demo import load_demo_register
    from tests.energy.plan.conftest import write_scenario

    store = open_store(settings)
    try:
        scenario = write_scenario(tmp_path / "small", demand=[700.0] * 24, hydro=[600.0 + 10 * t for t in range(24)],
                                  rlng=[200.0] * 24, zones=(("A", 100.0, 50.0, True), ("B", 80.0, 50.0, False)),
                                  cap=150.0, ai=20.0)
        adopted = keep_plan(store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, str(scenario)), out_dir=tmp_path / "a",
                            name="ministry plan")
        draft = keep_plan(store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, str(scenario), objective="min-grid-cost"),
                          out_dir=tmp_path / "b", name="what-if: cheaper grid")
        adopt_plan(store, LOCAL_ADMIN, str(adopted))
        descriptor = (EXAMPLES / "rehearsal-wallet-descriptor.txt").read_text(encoding="utf-8").strip()
        wallets.add_wallet(store, LOCAL_ADMIN, settings.network, "national-reserve-rehearsal", descriptor,
                           "pakistan-draft")
        address = wallets.next_address(store, LOCAL_ADMIN, "national-reserve-rehearsal").address
        chain.fund(store, LOCAL_ADMIN, settings.network, address, REHEARSAL_BTC, "seizure")
        chain.mine(store, LOCAL_ADMIN, 1)
        wallets.sync(store, LOCAL_ADMIN, chain_for(store, settings), "national-reserve-rehearsal")
        load_demo_register(store)
        officer = Actor("sana", "supervisor")
        scan = store_scan(store, officer, EXAMPLES / "transactions.csv")
        users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
        case = next(a.case_id for a in scan.alerts if a.alert.rule == "cross_vasp_cycle")
        return {"adopted": adopted, "draft": draft, "case": case}
    finally:
        store.dispose()


@pytest.fixture
def loaded(live_settings: Settings, tmp_path: Path) -> dict[str, Any]:
    return _load(live_settings, tmp_path)


UNMARKED = """(figure) => {
  // every element whose own text shows the figure, unmarked: neither its nearest block (row, item, paragraph,
  // figure) nor its table's caption nor its section's heading says "rehearsal"
  const says = (el) => !!el && /rehearsal/i.test(el.textContent);
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.includes(figure)) continue;
    const el = node.parentElement;
    if (el.closest('script')) continue;
    const block = el.closest('tr, li, p, figure, h1, h2, h3') || el;
    const table = el.closest('table');
    const section = el.closest('section');
    if (says(block) || says(table && table.caption) || says(section && section.querySelector('h2, h3'))) continue;
    bad.push(block.outerHTML.slice(0, 200));
  }
  return bad;
}"""


def _login(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill("sana")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def test_no_rehearsal_figure_appears_unmarked_on_a_public_page(live_server: str, loaded: dict[str, Any],
                                                               browser_page: Any) -> None:
    page = browser_page
    seen = []
    for path in PUBLIC_PAGES:
        assert page.goto(live_server + path).status == 200, path
        text = page.locator("main").inner_text()
        if REHEARSAL_BTC in text:
            seen.append(path)
        assert page.evaluate(UNMARKED, REHEARSAL_BTC) == [], path
    assert {"/", "/reserve"} <= set(seen) and "/peers" not in seen  # never beside other countries' figures
    page.goto(live_server + "/reserve")
    assert "No reserve wallet yet" in page.locator("#reserve-total").inner_text()  # the reserve itself holds none
    assert "USD" not in page.locator("#rehearsal").inner_text()  # rehearsal coins are not valued
    page.wait_for_selector("#rehearsal-history[data-chart-ready='true'] svg")
    api = page.request.get(live_server + "/api/v1/reserve/holdings").json()
    assert api["total_btc"] == "0" and api["rehearsal"]["mark"] == "rehearsal"
    assert api["rehearsal"]["total_btc"] == REHEARSAL_BTC and api["rehearsal"]["value_usd"] is None
    assert page.js_errors == []


def test_the_energy_analyst_sees_the_adopted_plan_and_compares_it_with_her_draft(live_server: str,
                                                                                loaded: dict[str, Any],
                                                                                browser_page: Any) -> None:
    page = browser_page
    page.goto(live_server + "/energy")
    assert "ministry plan" in page.get_by_role("heading", level=2).first.inner_text()
    assert page.locator("#plan-status").inner_text() == "adopted plan"
    with page.expect_navigation():
        page.locator("#compare-link").click()
    page.get_by_label("Plan A (id or name)").fill("ministry plan")
    page.get_by_label("Plan B (id or name)").fill("what-if: cheaper grid")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    table = page.locator("table").first
    assert "B less A" in table.inner_text() and "Mining in zone A" in table.inner_text()
    assert "_usd_per_year" not in page.locator("main").inner_text()
    page.wait_for_selector("#compare-zones[data-chart-ready='true'] svg")
    assert page.js_errors == []


def test_the_aml_analyst_filters_opens_a_case_sees_its_transfers_and_exports_the_str(
        live_server: str, loaded: dict[str, Any], browser_page: Any, live_settings: Settings) -> None:
    from biplomacy.aml.cases import move_case

    page = browser_page
    _login(page, live_server)
    page.goto(live_server + "/supervision/aml")
    page.locator('select[name="rule"]').select_option("cross_vasp_cycle")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "rule=cross_vasp_cycle" in page.url and "cross vasp cycle" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name=str(loaded["case"]), exact=True).click()
    transfers = page.get_by_role("table", name="The transfers of this case, in time order")
    text = transfers.inner_text()
    assert "9,500.00" in text and "IndusX" in text and "2025-09-01 04:00:00" in text  # 09:00 +05:00 in UTC
    graph = page.locator("svg#path-graph")  # the path drawn: each account a node, each transfer an arrow
    assert graph.locator("g.path-node").count() == 3 and graph.locator("g.path-edge").count() == 3
    first = graph.locator('g.path-edge[data-tx="t1"] text.edge-label').text_content() or ""  # SVG: no inner_text
    assert "9,500.00 USDT" in first and "2025-09-01 04:00 UTC" in first and "IndusX" in first
    box = graph.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    store = open_store(live_settings)
    move_case(store, Actor("sana", "supervisor"), loaded["case"], escalate=True, reason="cycle across three VASPs")
    store.dispose()
    page.reload()
    report = page.request.get(live_server + page.locator("#str-export").get_attribute("href"))
    assert report.status == 200 and report.text().splitlines()[0].startswith("str_id,case_id,filed_at")
    page.get_by_label("Reporting entity number at the FIU").fill("1042")  # for the FIU: goAML XML
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the STR (goAML XML)").click()
    xml = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith("-goaml.xml")
    assert "<report_code>STR</report_code>" in xml and "<transactionnumber>t1</transactionnumber>" in xml
    assert page.js_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-375"])
def test_every_page_fits_without_a_table_cut_off_with_screenshots(live_server: str, loaded: dict[str, Any],
                                                                 browser_page: Any, tmp_path: Path,
                                                                 viewport: dict[str, int]) -> None:
    page = browser_page
    page.set_viewport_size(viewport)
    _login(page, live_server)
    shots = Path(os.environ.get("BIPLOMACY_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    paths = (*PUBLIC_PAGES, f"/energy/compare?a={loaded['adopted']}&b={loaded['draft']}", "/supervision/dashboard",
             "/supervision/aml", f"/supervision/aml/cases/{loaded['case']}")
    for path in paths:
        assert page.goto(live_server + path).status == 200, path
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport['width']}px"
        cut = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
            .filter(d => d.scrollWidth > d.clientWidth + 1)
            .map(d => (d.getAttribute('aria-label') || '?') + ': ' + (d.scrollWidth - d.clientWidth) + 'px')""")
        assert cut == [], f"{path} at {viewport['width']}px: tables cut off: {cut}"
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "") or "home"
        shot = shots / f"{name}-{viewport['width']}.png"
        page.screenshot(path=str(shot), timeout=30_000)
        width, _, ink = png_stats(shot.read_bytes())
        assert width == viewport["width"] and ink > 0.02, shot
