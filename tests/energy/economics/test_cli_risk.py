"""`biplomacy energy risk`: the contract shape, the same JSON for the same seed, exit 2 on bad input."""

import json

import pytest

from biplomacy.energy.model.scenario import load_scenario
from biplomacy.energy.risk import PlannedMining, choose_tariff, fleet_from_plan, solved_plan_mining


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


def test_fleet_is_the_plans_installed_mw_running_its_energy_at_the_tariff(tiny):
    sc = load_scenario(tiny)
    # a plan of 200 MW in zone north that mines 200 MW for 12 of its 48 hours and 100 MW for 12 more
    planned = PlannedMining("by hand", {"north": 200.0}, {"north": 200.0 * 12 + 100.0 * 12}, 48)
    fleet, _, notes = fleet_from_plan(sc, planned, choose_tariff(sc, "incremental"))
    mwh_year = 3600.0 * 8760 / 48
    assert fleet.power_mw == 200.0
    assert fleet.uptime == pytest.approx(mwh_year / (200 * 8760)) == pytest.approx(0.375)
    assert fleet.energy_price_usd_mwh == pytest.approx(22.98 * 1000 / 281)
    # TH/s per MW = 10^6 / (13.5 J/TH x PUE 1.05); uptime x hashrate = the plan's hash-hours a year / 8,760 h
    th_per_mw = 1e6 / (13.5 * 1.05)
    assert fleet.hashrate_hs == pytest.approx(200 * th_per_mw * 1e12)
    assert fleet.uptime * fleet.hashrate_hs * 8760 == pytest.approx(mwh_year * th_per_mw * 1e12)
    # the daily energy bill is the plan's MWh a year / 365 at the tariff
    assert fleet.power_mw * 24 * fleet.uptime == pytest.approx(mwh_year / 365)
    assert fleet.capex_usd == pytest.approx(200 * th_per_mw * 15)
    assert any("by hand" in n for n in notes)


def test_without_a_plan_the_scenario_is_planned_and_its_fleet_simulated(tiny):
    from biplomacy.energy.model import planner

    sc = load_scenario(tiny)
    r = planner.plan(sc, sizing="policy")
    planned, econ = solved_plan_mining(sc)
    assert econ.profile is not None and econ.profile.days == 2 and set(econ.daily_costs) == {"cost-of-service",
                                                                                              "incremental"}
    assert planned.installed_mw["north"] == pytest.approx(float(r.mining_mw_installed[0]))
    assert planned.mwh["north"] == pytest.approx(float(r.mining_mw.sum())) and planned.hours == 48
    # the planner keeps mining within the heat-derated capacity, so the plan's energy is at most installed x hours
    assert 0 < planned.mwh["north"] <= planned.installed_mw["north"] * 48 + 1e-6


def test_risk_on_a_stored_plan_uses_that_plans_fleet(cli, tiny, tmp_path):
    plan = cli("energy", "plan", "--scenario", str(tiny), "--out", str(tmp_path / "o"), "--name", "base", "--json")
    assert plan.exit_code == 0, plan.stderr
    args = ("energy", "risk", "--scenario", str(tiny), "--paths", "200", "--years", "0.5", "--seed", "3", "--json")
    stored = cli(*args, "--plan", "base")
    assert stored.exit_code == 0, stored.stderr
    solved = cli(*args).json
    assert stored.json["fleet"]["power_mw"] == pytest.approx(plan.json["mining_mw_installed"])
    assert stored.json["fleet"]["power_mw"] * 24 * stored.json["fleet"]["uptime"] * 365 == pytest.approx(
        plan.json["mining_mwh_per_year"], rel=1e-6)
    for key in ("hashrate_hs", "power_mw", "uptime", "capex_usd"):  # the stored plan is the one solved here
        assert stored.json["fleet"][key] == pytest.approx(solved["fleet"][key], rel=1e-6)
    assert any(f"stored plan {plan.json['plan_id']} (base" in a for a in stored.json["assumptions"])
    assert set(stored.json) == set(solved)


def test_an_unknown_plan_or_a_plan_of_another_scenario_is_exit_2(cli, tiny, tmp_path):
    assert cli("energy", "plan", "--scenario", str(tiny), "--out", str(tmp_path / "o"), "--name", "base").exit_code == 0
    base = ("energy", "risk", "--paths", "10", "--years", "0.1", "--json")
    unknown = cli(*base, "--scenario", str(tiny), "--plan", "999")
    assert unknown.exit_code == 2 and "--plan" in unknown.stderr and "999" in unknown.stderr
    other = tmp_path / "other"
    other.mkdir()
    for f in ("scenario.toml", "grid.csv"):
        (other / f).write_text((tiny / f).read_text().replace('name = "tiny"', 'name = "other"'))
    wrong = cli(*base, "--scenario", str(other), "--plan", "base")
    assert wrong.exit_code == 2 and "'tiny'" in wrong.stderr and "'other'" in wrong.stderr
    for r in (unknown, wrong):
        assert r.stdout == "" and "Traceback" not in r.stderr
    assert len(cli("energy", "plans", "--json").json) == 1  # nothing stored by the refusals


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
