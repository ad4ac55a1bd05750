"""The supervision portal in a real headless Chromium: the public register (search, as of a date, an entity,
warnings, CSV download), the supervisor's returns dashboard with its charts (solvency and stablecoin reserves),
what the public may not see, and a readable 375 px phone screenshot."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.store.db import open_store
from biplomacy.supervision.demo import demo_step
from biplomacy.supervision.stablecoin import record_attestation
from tests.web.conftest import PHONE, png_stats

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"
AS_OF = "2026-02-01"


def seeded(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The fictional demo register, IndusX's recorded proof of solvency, mPKR's attestations (the demo's, recorded
    today, and one short of backing recorded on 2026-01-20), a supervisor."""
    store = open_store(settings)
    try:
        demo_step(store, settings, LOCAL_ADMIN)
        users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
        doc = json.loads((resources.files("biplomacy") / "data" / "aml" / "stablecoin-attestation-example.json")
                         .read_text(encoding="utf-8"))
        doc["reserves"][2]["amount"] = "50000000.00"  # 96 m eligible against 100 m outstanding
        path = tmp_path / "mpkr.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        from biplomacy.supervision.register import register_view

        refs = {e.identity.commercial_name: e.reference for e in register_view(store).entities}
        record_attestation(store, LOCAL_ADMIN, refs["mPKR"], path, now=datetime(2026, 1, 20, tzinfo=UTC))
        return refs
    finally:
        store.dispose()


def log_in(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill("sana")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def rows_of(page: Any, caption: str) -> list[str]:
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    return [r.inner_text() for r in table.locator("tbody tr").all()]


def test_a_supervisor_searches_the_register_opens_an_entity_downloads_csv_and_sees_the_charts(
        live_server: str, live_settings: Settings, browser_page: Any, tmp_path: Path) -> None:
    refs = seeded(live_settings, tmp_path)
    page = browser_page
    log_in(page, live_server)

    page.goto(f"{live_server}/supervision/register?as_of={AS_OF}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Public register")
    page.wait_for_selector("#register-activities[data-chart-ready='true'] svg", timeout=15_000)
    assert page.locator("#register-activities g.mark-rect path").count() >= 5  # one bar per (activity, status)
    listed = rows_of(page, "entit")
    assert len(listed) == 5 and any("Indus Digital Exchange" in r for r in listed)
    mpkr_row = next(r for r in listed if refs["mPKR"] in r)
    assert "XPKR: 1 breach" in mpkr_row and "0.960000" in mpkr_row
    assert any(r.startswith("2025-") for r in rows_of(page, "Warnings in force"))

    page.get_by_label("Search").fill("ravi")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "q=ravi" in page.url
    found = rows_of(page, "entit")
    assert len(found) == 1 and "Ravi Custody" in found[0]

    page.get_by_label("Search").fill("")
    page.get_by_label("As of").fill("2025-09-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    early = "\n".join(rows_of(page, "entit"))
    assert "Indus Digital" in early and "Karakoram" not in early  # Karakoram was approved on 2025-09-10

    page.goto(f"{live_server}/supervision/register?as_of={AS_OF}")
    with page.expect_navigation():
        page.get_by_role("link", name=refs["mPKR"]).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Margalla Stable PKR")
    assert page.get_by_role("heading", name="Stablecoin reserves (latest attestation)").is_visible()
    breaches = rows_of(page, "Breaches of XPKR")
    assert len(breaches) == 1 and "one_to_one_backing" in breaches[0] and "short by 4,000,000.00 USD" in breaches[0]
    assert rows_of(page, "Public history") != []

    page.goto(f"{live_server}/supervision/register")  # today: IndusX's solvency report was recorded today
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "pvara-register.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 5 and rows[0]["ae_competentAuthority"].startswith("Pakistan Virtual Assets")
    by_ref = {r["pv_reference"]: r for r in rows}
    assert by_ref[refs["IndusX"]]["pv_solvency_ratio"] != ""
    assert by_ref[refs["mPKR"]]["pv_stablecoin_reserves"].startswith("XPKR as of 2025-09-30: breaches one_to_one_backing")

    page.goto(f"{live_server}/supervision/dashboard")
    for chart in ("reserve-ratio", "accounts", "stablecoin-backing"):
        page.wait_for_selector(f"#{chart}[data-chart-ready='true'] svg", timeout=15_000)
        assert page.locator(f"#{chart} g.mark-rect path").count() > 0, chart
    assert any(refs["IndusX"] in r for r in rows_of(page, "Solvency reports"))
    coins = rows_of(page, "Stablecoin attestations")  # in recording order: the test's (2026-01-20), the demo's (today)
    assert len(coins) == 2 and all("1 breach(es)" in c for c in coins)
    assert "XPKR" in coins[0] and "0.960000" in coins[0] and "mPKR" in coins[1] and "maturity" in coins[1]
    assert page.js_errors == []


def test_the_public_sees_the_register_but_not_the_supervisors_pages(
        live_server: str, live_settings: Settings, browser_page: Any, tmp_path: Path) -> None:
    refs = seeded(live_settings, tmp_path)
    page = browser_page
    assert page.goto(f"{live_server}/supervision").status == 200
    with page.expect_navigation():
        page.get_by_role("link", name="Search the register").click()
    assert len(rows_of(page, "entit")) == 5
    assert page.goto(f"{live_server}/supervision/register/{refs['IndusX']}").status == 200
    assert page.get_by_role("heading", level=1).inner_text().startswith("Indus Digital Exchange")
    csv_response = page.request.get(f"{live_server}/api/v1/supervision/register.csv")  # the public's own cookie jar
    assert csv_response.status == 200 and csv_response.text().startswith("ae_competentAuthority,")
    page.js_errors.clear()
    for path in ("/supervision/dashboard", "/supervision/aml"):
        response = page.goto(live_server + path)
        assert response.status in (401, 403), path
        body = page.locator("main").inner_text()
        assert "Stablecoin attestations" not in body and "Supervisory returns across VASPs" not in body
    assert page.goto(f"{live_server}/supervision/register/PVARA-2025-0000").status == 404


def test_the_register_is_readable_on_a_375px_phone(live_server: str, live_settings: Settings, browser_page: Any,
                                                   tmp_path: Path) -> None:
    seeded(live_settings, tmp_path)
    page = browser_page
    page.set_viewport_size(PHONE)
    page.set_content("<html><body style='margin:0;background:#fff'></body></html>")
    blank = png_stats(page.screenshot())
    for path in (f"/supervision/register?as_of={AS_OF}", "/supervision"):
        page.js_errors.clear()
        assert page.goto(live_server + path).status == 200
        shot = tmp_path / f"phone-{len(path)}.png"
        page.screenshot(path=str(shot))
        width, height, ink = png_stats(shot.read_bytes())
        assert (width, height) == (PHONE["width"], PHONE["height"])
        assert ink > blank[2] + 0.02, f"{shot} looks blank"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a 375px phone"
        heading = page.get_by_role("heading", level=1)
        box = heading.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        size = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"))
        assert size >= 14, f"{path}: body text is {size}px"
        assert page.js_errors == [], path
    page.goto(f"{live_server}/supervision/register?as_of={AS_OF}")
    page.wait_for_selector("#register-activities[data-chart-ready='true'] svg", timeout=15_000)
    chart = page.locator("#register-activities svg").bounding_box()
    assert chart is not None and chart["x"] >= 0 and chart["x"] + chart["width"] <= PHONE["width"]
    table = page.get_by_role("region", name="Register entries")
    assert table.is_visible()
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # scrolls inside itself
    first = table.locator("tbody tr").first  # each row stacks as a card of labelled lines, nothing cut off
    cell_boxes = [c.bounding_box() for c in first.locator("td").all()]
    assert len(cell_boxes) == 9 and all(b is not None and b["x"] + b["width"] <= box["x"] + box["width"] + 1
                                        for b in cell_boxes)
    status = first.locator("td[data-label='Status']")
    label = page.evaluate("(td) => getComputedStyle(td, '::before').content", status.element_handle())
    assert label == '"Status"'
    search = page.get_by_label("Search").bounding_box()
    assert search is not None and search["x"] + search["width"] <= PHONE["width"]
