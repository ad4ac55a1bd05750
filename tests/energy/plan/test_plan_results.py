"""A plan's typed summary keeps the published JSON: summary.json, `energy plan --json` and the stored plan's
summary_json have the same keys in the same order as before the records were typed, and a summary stored by an
older version still reads."""

from __future__ import annotations

import json

from sqlalchemy import select

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.energy.plan import get_plan, keep_plan, plan_scenario
from biplomacy.energy.plan_files import write_plan_files
from biplomacy.energy.results import PlanSummary
from biplomacy.energy.tables import EnergyPlanRow

# The contract, as written out by the summary before it was a record (a published JSON shape).
SUMMARY_KEYS = [
    "scenario", "objective", "hours", "mining_mw_installed", "ai_mw_installed", "zones", "mining_mwh_per_year",
    "expected_btc_per_year", "expected_btc_per_year_after_self_dilution", "btc_price_usd", "difficulty",
    "net_value_at_merit_order_usd_per_year", "lp_objective_usd_per_year", "subsidy_pkr_per_year", "merit_order",
    "tariffs", "strain", "solve_seconds", "assumptions", "sources",
    # issue #15: the sizing, the risk-adjusted headline beside the static figure, capex, the other sizing's plan,
    # the risk-adjusted strain and the supply costs the subsidy test priced
    "sizing", "btc_per_year_p50", "btc_per_year_p5", "btc_per_year_p95", "btc_per_year_static", "headline", "capex",
    "alternative", "cost_of_policy_gap_usd_per_year", "strain_risk_adjusted", "supply_cost", "solve_method"]
ZONE_KEYS = ["zone", "mining_mw", "ai_mw", "mining_mwh"]
MERIT_KEYS = ["hours_margin_moved_by_added_load", "mining_energy_cost_pkr_per_year", "mining_energy_cost_pkr_kwh",
              "ai_energy_cost_pkr_per_year"]
TARIFF_KEYS = ["name", "pkr_per_kwh", "energy_mwh", "subsidy_vs_marginal_pkr", "hours_below_marginal",
               "hours_subsidised", "shortfall_vs_average_cost_pkr", "shortfall_vs_cost_of_service_pkr",
               "capacity_contribution_pkr", "subsidy_vs_marginal_usd", "verdict", "basis", "runs", "levies",
               "short_run_cost_pkr_kwh", "unpaid_debt_service_surcharge_pkr", "unpaid_fixed_charge_pkr",
               "forgone_gst_pkr", "subsidy_pkr", "subsidy_usd", "capacity_carried_by_others_pkr", "subsidy_pkr_p5",
               "subsidy_pkr_p50", "subsidy_pkr_p95", "subsidy_usd_p50", "capacity_contribution_pkr_p50",
               "energy_mwh_p50"]
STRAIN_KEYS = ["share_of_surplus_used", "peak_hours", "peak_hours_with_added_load", "non_surplus_mwh",
               "non_surplus_max_mw", "curtailment_hours_by_zone", "basis", "mining_mwh", "peak_hours_with_mining"]


def test_the_summary_json_has_the_published_keys_in_order(small_scenario):
    d = plan_scenario(LOCAL_ADMIN, str(small_scenario)).summary.to_json()
    assert list(d) == SUMMARY_KEYS
    assert all(list(z) == ZONE_KEYS for z in d["zones"]) and [z["zone"] for z in d["zones"]] == ["A", "B"]
    assert list(d["merit_order"]) == MERIT_KEYS
    assert all(list(t) == TARIFF_KEYS for t in d["tariffs"]) and list(d["strain"]) == STRAIN_KEYS
    assert isinstance(d["hours"], int) and isinstance(d["merit_order"]["hours_margin_moved_by_added_load"], int)
    assert isinstance(d["assumptions"], list) and isinstance(d["sources"], list)
    assert json.loads(json.dumps(d)) == d  # plain JSON values only


def test_a_summary_reads_back_equal_from_its_json(small_scenario):
    summary = plan_scenario(LOCAL_ADMIN, str(small_scenario), objective="min-grid-cost").summary
    assert PlanSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


def test_the_edge_writes_the_files_and_the_plan_keeps_them_with_its_chart_data(store, small_scenario, tmp_path):
    solved = plan_scenario(LOCAL_ADMIN, str(small_scenario))
    out = tmp_path / "o"
    files = write_plan_files(solved, out, charts=False)
    assert [f.name for f in files] == ["allocation.csv", "system.csv", "summary.json", "hourly.parquet"]
    assert json.loads((out / "summary.json").read_text()) == solved.summary.to_json()
    pid = keep_plan(store, LOCAL_ADMIN, solved, out_dir=out, files=files)
    with store.read() as s:
        row = s.execute(select(EnergyPlanRow).where(EnergyPlanRow.id == pid)).scalar_one()
        kept, out_dir = json.loads(row.summary_json), row.out_dir
    assert kept == solved.summary.to_json() | {"files": [str(f) for f in files],
                                               "chart_data": solved.chart_data.to_json()}
    assert list(kept)[-2:] == ["files", "chart_data"] and out_dir == str(out)
    plan = get_plan(store, str(pid))
    assert plan.summary == solved.summary and plan.chart_data == solved.chart_data
    assert plan.to_json()["summary"] == {k: v for k, v in kept.items() if k != "chart_data"}


def test_a_summary_stored_before_the_merit_order_test_still_reads(small_scenario):
    """Before the tariff test priced each hour along the merit order, a summary had no merit_order, no
    merit-order net value and no hours_subsidised, and its LP objective was net_value_usd_per_year."""
    d = plan_scenario(LOCAL_ADMIN, str(small_scenario)).summary.to_json()
    old = {k: v for k, v in d.items() if k not in ("merit_order", "net_value_at_merit_order_usd_per_year",
                                                   "lp_objective_usd_per_year")}
    old["net_value_usd_per_year"] = d["lp_objective_usd_per_year"]
    old["tariffs"] = [{k: v for k, v in t.items() if k != "hours_subsidised"} for t in d["tariffs"]]
    s = PlanSummary.from_json(old)
    assert s.merit_order is None and s.net_value_at_merit_order_usd_per_year is None
    assert s.lp_objective_usd_per_year == d["lp_objective_usd_per_year"]
    assert [t.hours_subsidised for t in s.tariffs] == [None, None]
    assert s.mining_mw_installed == d["mining_mw_installed"] and s.zones[0].zone == "A"
