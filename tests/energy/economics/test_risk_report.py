"""The risk report: quantiles, sources and assumptions, the same JSON for the same seed, and the fan chart file."""

import json

import pytest

from biplomacy.core.errors import InputError
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.risk import Fleet, RiskSettings
from biplomacy.energy.risk import fan_chart_for, risk_report
from biplomacy.energy.risk_files import write_fan_chart

NET = NetworkAssumptions.defaults()
FLEET = Fleet(hashrate_hs=5.4e18, power_mw=100, energy_price_usd_mwh=45, capex_usd=80e6)


def report(**kw):
    return risk_report(NET, FLEET, RiskSettings(paths=300, years=1, seed=4), label="test", source_keys=[],
                       assumptions=["a test fleet"], **kw)


def test_same_seed_gives_identical_json():
    assert json.dumps(report().to_json()) == json.dumps(report().to_json())


def test_report_carries_quantiles_sources_and_labelled_assumptions():
    doc = report().to_json()
    for key in ("btc_mined", "revenue_usd", "npv_usd"):
        assert set(doc[key]) >= {"p5", "p50", "p95"}
    assert 0 <= doc["probability_of_loss"] <= 1
    keys = {s["key"] for s in doc["sources"]}
    assert "energy.network.difficulty" in keys and "energy.risk.price_volatility_annual" in keys
    assert any(s["assumption"] for s in doc["sources"]) and any(s["source"] for s in doc["sources"])
    assert "a test fleet" in doc["assumptions"]


def test_fan_chart_is_written_as_png(tmp_path):
    plain = report()
    assert "chart" not in plain.to_json()  # no file written, no key
    doc = write_fan_chart(plain, tmp_path / "fan.png")
    assert (tmp_path / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert doc.to_json()["chart"] == str(tmp_path / "fan.png")
    assert doc.to_json() == plain.to_json() | {"chart": str(tmp_path / "fan.png")}
    spec = fan_chart_for(doc)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_fan_chart_as_svg(tmp_path):
    write_fan_chart(report(), tmp_path / "fan.svg")
    assert (tmp_path / "fan.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")


@pytest.mark.parametrize("name", ["fan.gif", "no/such/folder/fan.png"])
def test_a_chart_file_that_cannot_be_written_is_refused_naming_the_field(tmp_path, name):
    with pytest.raises(InputError) as e:
        write_fan_chart(report(), tmp_path / name)
    assert e.value.field == "chart" and not str(e.value).startswith("--")
    assert not (tmp_path / name).exists()
