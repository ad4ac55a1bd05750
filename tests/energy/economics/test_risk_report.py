"""The risk report: quantiles, sources and assumptions, the same JSON for the same seed, and the fan chart file."""

import json

import pytest

from biplomacy.core.errors import InputError
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.risk import Fleet, RiskSettings
from biplomacy.energy.risk import fan_chart_for, risk_report

NET = NetworkAssumptions.defaults()
FLEET = Fleet(hashrate_hs=5.4e18, power_mw=100, energy_price_usd_mwh=45, capex_usd=80e6)


def report(**kw):
    return risk_report(NET, FLEET, RiskSettings(paths=300, years=1, seed=4), label="test", source_keys=[],
                       assumptions=["a test fleet"], **kw)


def test_same_seed_gives_identical_json():
    assert json.dumps(report()) == json.dumps(report())


def test_report_carries_quantiles_sources_and_labelled_assumptions():
    doc = report()
    for key in ("btc_mined", "revenue_usd", "npv_usd"):
        assert set(doc[key]) >= {"p5", "p50", "p95"}
    assert 0 <= doc["probability_of_loss"] <= 1
    keys = {s["key"] for s in doc["sources"]}
    assert "energy.network.difficulty" in keys and "energy.risk.price_volatility_annual" in keys
    assert any(s["assumption"] for s in doc["sources"]) and any(s["source"] for s in doc["sources"])
    assert "a test fleet" in doc["assumptions"]


def test_fan_chart_is_written_as_png(tmp_path):
    doc = report(chart=tmp_path / "fan.png")
    assert (tmp_path / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    spec = fan_chart_for(doc)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_chart_with_an_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(InputError, match="--chart"):
        report(chart=tmp_path / "fan.gif")
