"""`energy risk --plan` runs on the inputs stored with the plan, so changing or removing the scenario's files
after planning changes nothing; plans stored before their inputs were kept still need the very files."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import update

from biplomacy.energy.tables import EnergyPlanRow

RISK = ("energy", "risk", "--paths", "200", "--years", "0.5", "--seed", "3", "--json")


@pytest.fixture
def stored(cli, tiny, tmp_path):
    plan = cli("energy", "plan", "--scenario", str(tiny), "--out", str(tmp_path / "o"), "--name", "base", "--json")
    assert plan.exit_code == 0, plan.stderr
    before = cli(*RISK, "--scenario", str(tiny), "--plan", "base")
    assert before.exit_code == 0, before.stderr
    return plan.json, before.json


def _edit(tiny, old, new):
    toml = tiny / "scenario.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


def test_changed_scenario_files_do_not_change_a_stored_plans_risk(cli, tiny, stored):
    _, before = stored
    # the fleet's PUE, the ASICs' price, the tariff and the BTC price all change after the plan was stored
    _edit(tiny, "pue = 1.05", "pue = 1.1")
    _edit(tiny, "price_usd_per_th = 15", "price_usd_per_th = 40")
    _edit(tiny, "pkr_per_kwh = 34.01", "pkr_per_kwh = 50")
    _edit(tiny, "btc_price_usd = 91000", "btc_price_usd = 95000")
    (tiny / "grid.csv").write_text((tiny / "grid.csv").read_text().replace(",10800", ",10500"))
    after = cli(*RISK, "--scenario", str(tiny), "--plan", "base")
    assert after.exit_code == 0, after.stderr
    for key in ("fleet", "network", "btc_mined", "revenue_usd", "npv_usd", "probability_of_loss", "tariff"):
        assert after.json[key] == before[key], key
    assert any("changed since plan 1 (base) was stored" in a for a in after.json["assumptions"])
    # the scenario as it is now gives another fleet: the stored inputs are what made the figures equal
    now_run = cli(*RISK, "--scenario", str(tiny))
    assert now_run.exit_code == 0, now_run.stderr
    now = now_run.json
    assert now["fleet"]["capex_usd"] != before["fleet"]["capex_usd"]
    assert now["network"]["btc_price_usd"] == 95000


def test_a_stored_plan_runs_without_its_scenario_folder(cli, tiny, stored):
    _, before = stored
    shutil.rmtree(tiny)
    after = cli(*RISK, "--plan", "base")
    assert after.exit_code == 0, after.stderr
    assert after.json["fleet"] == before["fleet"] and after.json["npv_usd"] == before["npv_usd"]
    assert after.json["scenario"] == "tiny"
    cheaper = cli(*RISK, "--plan", "1", "--tariff", "incremental")
    assert cheaper.exit_code == 0 and cheaper.json["tariff"] == "incremental"
    assert cheaper.json["fleet"]["energy_price_usd_mwh"] == pytest.approx(22.98 * 1000 / 281)
    unknown = cli(*RISK, "--plan", "base", "--tariff", "flat")
    assert unknown.exit_code == 2 and "'flat'" in unknown.stderr and "incremental" in unknown.stderr


def _as_stored_before_0008(store):
    with store.transaction() as s:
        s.execute(update(EnergyPlanRow).values(inputs_json=None))


def test_a_plan_stored_before_its_inputs_were_kept_still_needs_the_same_files(cli, store, tiny, stored):
    _, before = stored
    _as_stored_before_0008(store)
    same = cli(*RISK, "--scenario", str(tiny), "--plan", "base")
    # such a plan kept no daily profile: its MWh are spread evenly over the year (the tiny grid's two days are alike)
    assert same.exit_code == 0
    assert same.json["npv_usd"] == pytest.approx(before["npv_usd"], rel=1e-9)
    assert any("spread evenly" in a for a in same.json["assumptions"])
    no_folder = cli(*RISK, "--plan", "base")  # "tiny" is no shipped scenario: say which folder to pass
    assert no_folder.exit_code == 2 and "stored before plans kept their inputs" in no_folder.stderr
    assert "--scenario" in no_folder.stderr
    _edit(tiny, "pue = 1.05", "pue = 1.2")
    changed = cli(*RISK, "--scenario", str(tiny), "--plan", "base")
    assert changed.exit_code == 2 and "other inputs" in changed.stderr and "plan again" in changed.stderr
    for r in (no_folder, changed):
        assert r.stdout == "" and "Traceback" not in r.stderr


def test_unreadable_stored_inputs_are_exit_2_naming_the_plan(cli, store, tiny, stored):
    with store.transaction() as s:
        s.execute(update(EnergyPlanRow).values(inputs_json='{"format": 99}'))
    r = cli(*RISK, "--plan", "base")
    assert r.exit_code == 2 and "plan 1 (base)" in r.stderr and "stored inputs cannot be read" in r.stderr
    assert "Traceback" not in r.stderr
