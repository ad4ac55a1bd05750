"""What-ifs: El Salvador's 1 BTC a day under this program's profiles (what is flagged, when), Bhutan's hydro model
on Pakistan's grid, Pakistan's 2,000 MW at a geothermal cost; each stored with its inputs, reproducible, and
marked what-if on every page and answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry
from biplomacy.peers.model.whatifs import accumulation, transplant_scenario, winter_share
from tests.peers.test_exchange_cli import ok


def test_the_accumulation_is_a_receipt_a_day_plus_the_lumps() -> None:
    got = accumulation(date(2025, 1, 1), date(2025, 1, 10), "1", [(date(2025, 1, 5), "1090"), (date(2026, 1, 1), "9")])
    assert len(got) == 11 and sum(r.sats for r in got) == (10 + 1090) * 100_000_000
    with pytest.raises(InputError):
        accumulation(date(2025, 1, 2), date(2025, 1, 1), "1")
    with pytest.raises(InputError):
        accumulation(date(2025, 1, 1), date(2025, 1, 2), "0.000000001")


def test_a_transplanted_scenario_keeps_only_the_named_zones_and_takes_the_peers_mw() -> None:
    text = ('name = "x"\ncap_mw = 2000.0\n[ai]\nfirm_mw = 300.0\n[[zone]]\nname = "A"\nconnection_limit_mw = 1.0\n\n'
            '[[zone]]\nname = "Tarbela"\nconnection_limit_mw = 450.0\n\n[[asic]]\nmodel = "S21"\n')
    out = transplant_scenario(text, name="bt", cap_mw=100, zones=["Tarbela"])
    assert 'name = "A"' not in out and 'name = "Tarbela"' in out and "cap_mw = 100.0" in out
    assert "firm_mw = 0.0" in out and 'model = "S21"' in out and 'name = "bt"' in out
    with pytest.raises(InputError, match="no zone Nowhere"):
        transplant_scenario(text, name="bt", cap_mw=100, zones=["Nowhere"])
    assert winter_share({"A": [1] * 12}) == pytest.approx(4 / 12)


def test_el_salvadors_purchases_are_flagged_by_the_imf_rule_at_once_and_by_the_fx_cap_later(cli: Any) -> None:
    d = ok(cli("peers", "whatif", "run", "sv-accumulation", "--json"))
    assert d["what_if"] is True and d["title"].startswith("WHAT-IF") and d["result"]["what_if"] is True
    flags = {p["profile"]: p for p in d["result"]["profiles"]}
    imf = flags["imf-no-accumulation"]["first_flags"]["imf-no-accumulation"]
    assert imf["date"] == "2024-12-19"  # the first purchase after the staff-level agreement
    assert flags["imf-no-accumulation"]["flagged_receipts"] == flags["imf-no-accumulation"]["receipts"]
    cap = flags["pakistan-draft"]["first_flags"]["pakistan-draft"]
    reg = load_registry()
    limit = (reg.value("reserve.policy.pakistan_fx_reserves_usd") * reg.value("reserve.policy.pakistan_cap_share_of_fx")
             / reg.value("energy.network.btc_price_usd"))  # the portal's one price (none imported)
    assert Decimal(cap["holdings_btc"]) > limit >= Decimal(cap["holdings_btc"]) - 1  # the first day past the cap
    assert date.fromisoformat(cap["date"]) > date(2025, 11, 18)
    assert d["inputs"]["sources"][0]["event"] == "sv-2024-12-19-purchase"
    assert d["result"]["modelled_vs_published"]["published_btc"] == "7474"

    rerun = ok(cli("peers", "whatif", "rerun", str(d["id"]), "--json"))
    assert rerun["reproduced"] is True and rerun["differs"] == []
    assert [r["id"] for r in ok(cli("peers", "whatif", "list", "--json"))] == [d["id"]]
    assert "WHAT-IF" in cli("peers", "whatif", "show", str(d["id"])).stdout


@pytest.mark.slow
def test_bhutans_hydro_model_and_pakistans_fleet_at_geothermal_cost_run_the_energy_models(cli: Any) -> None:
    bt = ok(cli("peers", "whatif", "run", "bt-hydro", "--json"))
    plan = bt["result"]["plan"]
    assert plan["mining_mw_installed"] <= float(load_registry().value("peers.bt.hydro_mining_mw_start")) + 1e-6
    assert 0 <= bt["result"]["winter_share_of_mwh"] <= 1 and bt["result"]["risk"]["paths"] == 2000
    assert bt["inputs"]["zones"] == ["Tarbela"] and bt["inputs"]["ai_firm_mw"] == 0.0
    geo = ok(cli("peers", "whatif", "run", "pk-geothermal", "--json"))
    assert geo["inputs"]["energy_price_usd_mwh"] == 72.0
    assert geo["result"]["at_geothermal_cost"]["tariff"] is None
    assert geo["result"]["at_tariff"]["tariff"] == "incremental-package"
    assert ok(cli("peers", "whatif", "rerun", str(geo["id"]), "--json"))["reproduced"] is True


def test_bad_input_is_exit_2_and_the_public_may_not_run_one(cli: Any) -> None:
    r = cli("peers", "whatif", "run", "mars-colony")
    assert r.exit_code == 2 and "sv-accumulation" in r.stderr
    r = cli("peers", "whatif", "run", "sv-accumulation", "--end", "2024-01-01")
    assert r.exit_code == 2 and "before the start" in r.stderr
    assert cli("peers", "whatif", "show", "99").exit_code == 2
    assert ok(cli("peers", "whatif", "list", "--json")) == []


def test_the_portal_marks_every_what_if(app_client: TestClient, cli: Any) -> None:
    d = ok(cli("peers", "whatif", "run", "sv-accumulation", "--json"))
    page = app_client.get("/peers/whatifs")
    assert page.status_code == 200 and "WHAT-IF" in page.text and 'class="tag">what-if' in page.text
    one = app_client.get(f"/peers/whatifs/{d['id']}")
    assert one.status_code == 200 and "WHAT-IF" in one.text and "2024-12-19" in one.text
    assert all(r["what_if"] is True for r in app_client.get("/api/v1/peers/whatifs").json())
    assert app_client.get(f"/api/v1/peers/whatifs/{d['id']}").json()["result"]["what_if"] is True
    assert app_client.get("/peers/whatifs/999").status_code == 404
