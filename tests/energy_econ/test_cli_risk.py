"""`biplomacy energy risk`: the contract shape, the same JSON for the same seed, exit 2 on bad input."""

import json

import pytest

from biplomacy.energy.scenario import load_scenario
from biplomacy.services.energy_risk import fleet_from_scenario


def test_risk_contract_shape_on_a_scenario_folder(cli_nodb, tiny):
    r = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "300", "--years", "1", "--seed", "1", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json
    for key in ("btc_mined", "revenue_usd", "npv_usd"):
        assert doc[key]["p5"] <= doc[key]["p50"] <= doc[key]["p95"]
    assert 0 <= doc["probability_of_loss"] <= 1
    assert doc["tariff"] == "cost-of-service"
    assert {s["key"] for s in doc["sources"]} >= {"energy.network.difficulty", "energy.mining.derating_per_c"}


def test_same_seed_gives_identical_json(cli_nodb, tiny):
    args = ("energy", "risk", "--scenario", str(tiny), "--paths", "200", "--years", "0.5", "--seed", "9", "--json")
    assert json.loads(cli_nodb(*args).stdout) == json.loads(cli_nodb(*args).stdout)


def test_fleet_mines_the_cap_less_ai_on_surplus_hours_only(tiny):
    tariff, fleet, _, notes = fleet_from_scenario(load_scenario(tiny), "incremental")
    # surplus after the 10 % margin: night 10,800 - 8,000 - 800 = 2,000 MW; day 11,000 - 10,000 - 1,000 = 0
    # the AI takes 100 MW of it, mining 200 MW fits by night only: uptime = 12 of 24 hours
    assert tariff == "incremental"
    assert fleet.uptime == pytest.approx(0.5)
    assert fleet.energy_price_usd_mwh == pytest.approx(22.98 * 1000 / 281)
    # heat derating: July 44 degC and August 42 degC exceed the 40 degC limit by 4 and 2 degC
    derating = 1 - 0.03 * (4 + 2) / 12
    assert fleet.power_mw == pytest.approx(200 * derating)
    assert fleet.hashrate_hs == pytest.approx(200e6 / 1.05 / 13.5 * 1e12 * derating)
    assert fleet.capex_usd == pytest.approx(200e6 / 1.05 / 13.5 * 15)
    assert any("cap" in n for n in notes)


def test_a_price_shock_lowers_the_median_npv(cli_nodb, tiny):
    base = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "200", "--years", "1", "--json").json
    crash = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "200", "--years", "1",
                     "--price-shock", "-0.5", "--json").json
    assert crash["npv_usd"]["p50"] < base["npv_usd"]["p50"]


def test_fan_chart_png(cli_nodb, tiny, tmp_path):
    r = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "100", "--years", "0.2",
                 "--chart", str(tmp_path / "fan.png"), "--json")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "fan.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("args, flag", [
    (("--paths", "0"), "paths"), (("--years", "-1"), "years"), (("--paths", "many"), "--paths"),
    (("--price-shock", "-1.5"), "price_shock"), (("--scenario", "atlantis"), "--scenario"),
    (("--tariff", "free"), "--tariff"), (("--chart", "fan.gif"), "--chart"),
])
def test_bad_risk_input_exits_2_naming_the_field(cli_nodb, tiny, args, flag):
    base = {"--scenario": str(tiny), "--paths": "50", "--years": "0.1"}
    extra = dict(zip(args[::2], args[1::2], strict=True))
    r = cli_nodb("energy", "risk", *[x for kv in (base | extra).items() for x in kv], "--json")
    assert r.exit_code == 2, r.stderr
    assert flag in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_shipped_pakistan_scenario_gives_the_same_json_for_the_same_seed(cli_nodb):
    args = ("energy", "risk", "--scenario", "pakistan-2025", "--paths", "1000", "--years", "1", "--seed", "1", "--json")
    first = cli_nodb(*args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == cli_nodb(*args).stdout
    doc = first.json
    assert doc["scenario"] == "pakistan-2025" and doc["days"] == 365
    assert doc["btc_mined"]["p50"] > 0
    assert {"house.pk.mining_ai_allocation_mw", "energy.network.difficulty"} <= {s["key"] for s in doc["sources"]}


def test_cheaper_what_if_energy_lowers_the_chance_of_loss(cli_nodb, tiny):
    args = ("energy", "risk", "--scenario", str(tiny), "--paths", "300", "--years", "1", "--json")
    tariff = cli_nodb(*args).json
    cheap = cli_nodb(*args, "--energy-price-usd-mwh", "20").json
    assert cheap["tariff"] is None and cheap["fleet"]["energy_price_usd_mwh"] == 20
    assert cheap["probability_of_loss"] <= tariff["probability_of_loss"]
    assert cheap["npv_usd"]["p50"] > tariff["npv_usd"]["p50"]


def test_what_if_energy_price_and_a_tariff_together_are_refused(cli_nodb, tiny):
    r = cli_nodb("energy", "risk", "--scenario", str(tiny), "--paths", "10", "--years", "0.1",
                 "--tariff", "incremental", "--energy-price-usd-mwh", "20", "--json")
    assert r.exit_code == 2 and "--energy-price-usd-mwh" in r.stderr
