"""/peers and /api/v1/peers: the table with each cell's sources, public, JSON and CSV, 422 on a bad code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.peers import compare as peers_compare
from biplomacy.store.db import Store
from tests.energy.plan.conftest import small_scenario  # noqa: F401 - a fixture


def test_the_page_is_public_and_shows_every_country_with_cited_cells(app_client: TestClient) -> None:
    page = app_client.get("/peers")
    assert page.status_code == 200
    html = page.text
    for name in ("Pakistan", "El Salvador", "Bhutan", "United States"):
        assert f'<th scope="col">{name}</th>' in html
    assert "6,238 BTC (2025-07-17)" in html and "not published" in html
    # every citation link in the table points at an entry of the sources list on the same page
    links = set(re.findall(r'href="#fact-([\w.]+)"', html))
    entries = set(re.findall(r'<li id="fact-([\w.]+)">', html))
    assert links and links == entries
    assert 'data-chart-spec="peers-reserve"' in html and "vega-embed" in html
    assert 'class="empty-state"' not in html


def test_the_page_takes_a_country_selection(app_client: TestClient) -> None:
    html = app_client.get("/peers", params={"countries": "US"}).text
    assert "United States" in html and '<th scope="col">Bhutan</th>' not in html
    assert 'data-chart-spec="peers-reserve"' not in html  # no country here has a published reserve figure


def test_api_returns_the_comparison_as_json(app_client: TestClient) -> None:
    r = app_client.get("/api/v1/peers", params={"countries": "SV,BT"})
    assert r.status_code == 200
    d = r.json()
    assert [c["code"] for c in d["countries"]] == ["SV", "BT"]
    reserve = d["dimensions"][0]["cells"]
    assert reserve["BT"]["value"] == "6262" and reserve["BT"]["cites"][0]["key"] == "peers.bt.holdings_oct_2025_btc"
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


def test_pakistans_live_figure_appears_once_a_plan_is_stored(
        app_client: TestClient, cli: Any, small_scenario: Path, tmp_path: Path) -> None:  # noqa: F811
    def pk_mining() -> dict[str, Any]:
        d = app_client.get("/api/v1/peers", params={"countries": "PK"}).json()
        return next(x for x in d["dimensions"] if x["key"] == "mining_mw")["cells"]["PK"]

    assert pk_mining()["kind"] == "figure"
    assert pk_mining()["kind"] == "figure"  # served again from the cache: the audit log has not moved
    r = cli("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "p"), "--json")
    assert r.exit_code == 0, r.stderr
    cell = pk_mining()
    assert (cell["kind"], cell["value"]) == ("live", str(r.json["mining_mw_installed"]))
    assert f"stored plan {r.json['plan_id']}" in app_client.get("/peers").text


def test_the_cache_reuses_a_comparison_until_the_audit_log_moves(store: Store) -> None:
    cache = peers_compare.ComparisonCache()
    first = cache.get(store, ("PK",))
    assert cache.get(store, ("PK",)) is first and cache.get(store, ("SV",)) is not first
    users.add_user(store, LOCAL_ADMIN, "delegate", "auditor")  # any audited change moves the head
    assert cache.get(store, ("PK",)) is not first
