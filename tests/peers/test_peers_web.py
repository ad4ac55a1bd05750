"""/peers and /api/v1/peers: the table with each cell's sources, public, JSON and CSV, 422 on a bad code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.energy.plan.conftest import small_scenario  # noqa: F401 - a fixture


def test_the_page_is_public_and_shows_every_country_with_cited_cells(app_client: TestClient) -> None:
    page = app_client.get("/peers")
    assert page.status_code == 200
    html = page.text
    for name in ("Pakistan", "El Salvador", "Bhutan", "United States"):
        assert f'<th scope="col">{name}</th>' in html
    assert "7,474 BTC (2025-11-18)" in html and "not published" in html
    # every citation link in the table points at an entry of the sources list on the same page
    links = set(re.findall(r'href="#fact-([\w.]+)"', html))
    entries = set(re.findall(r'<li id="fact-([\w.]+)">', html))
    assert links and links == entries
    assert 'data-chart-spec="peers-reserve"' in html and "vega-embed" in html
    assert 'class="empty-state"' not in html


def test_the_page_takes_a_country_selection(app_client: TestClient) -> None:
    html = app_client.get("/peers", params={"countries": "US"}).text
    assert "United States" in html and '<th scope="col">Bhutan</th>' not in html
    assert 'data-chart-spec="peers-reserve"' in html  # the US estimates, labelled as such
    assert "estimate" in html and "us-holdings-2025-07" in html


def test_api_returns_the_comparison_as_json(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/peers", params={"countries": "SV,BT"})
    assert r.status_code == 200
    d = r.json()
    assert [c["code"] for c in d["countries"]] == ["SV", "BT"]
    reserve = d["dimensions"][0]["cells"]
    assert reserve["BT"]["value"] == "6262" and reserve["BT"]["cites"][0]["key"] == "peers.bt.holdings_oct_2025_btc"
    assert reserve["BT"]["kind"] == "estimate"
    assert [c["code"] for c in d["history"]["countries"]] == ["SV", "BT"]
    assert {s["key"] for s in d["sources"]} >= {"peers.sv.reserve_btc", "peers.bt.holdings_oct_2025_btc"}


def test_api_returns_csv_on_request(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/peers", params={"format": "csv", "countries": "PK"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("dimension,country,kind,text") and len(lines) == 1 + 8


def test_an_unknown_country_is_a_422_naming_it(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/peers", params={"countries": "PK,ZZ"})
    assert r.status_code == 422 and "unknown country code ZZ" in r.json()["detail"]
    page = app_client.get("/peers", params={"countries": "ZZ"})
    assert page.status_code == 422 and "unknown country code ZZ" in page.text
    assert app_client.get("/api/v1/peers", params={"format": "xml"}).status_code == 422


def test_the_page_shows_dated_series_and_both_sides_of_each_dispute(app_client: TestClient) -> None:
    html = app_client.get("/peers").text
    # El Salvador's Office figure and the IMF's claim, side by side in one dispute
    dispute = html[html.index('id="dispute-sv-accumulation-2025"'):]
    dispute = dispute[:dispute.index("</div>")]
    assert "7474 BTC" in dispute and "unchanged" in dispute and "IMF staff report" in dispute
    # Bhutan: the peak on 29 Oct 2024, the sales, and Bitdeer's 600 MW as Bitdeer's plan
    for event in ("bt-2024-10-29-peak", "bt-2025-10-20-holding", "bt-2024-09-16-bitdeer-600mw"):
        assert f'id="event-{event}"' in html
    assert "Bitdeer&#39;s plan" in html  # autoescaped apostrophe
    # every history row links its source
    rows = re.findall(r'<tr id="event-[^"]+".*?</tr>', html, re.S)
    assert len(rows) >= 20 and all('href="https://' in r for r in rows)


def test_a_rehearsal_ledger_never_reaches_the_peers_page(
        app_client: TestClient, cli: Any, small_scenario: Path, tmp_path: Path) -> None:  # noqa: F811
    before = app_client.get("/api/v1/peers").json()
    r = cli("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "p"), "--json")
    assert r.exit_code == 0, r.stderr
    assert app_client.get("/api/v1/peers").json() == before
    assert "stored plan" not in app_client.get("/peers").text
