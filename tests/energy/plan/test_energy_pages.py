"""The energy page shows the stored plan (MW per zone, BTC a year, tariff verdicts) and its charts."""

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.energy.plan import keep_plan, plan_scenario


def _stored(store, scenario, out, **kw):
    """A plan of `scenario` kept in `store` (no files written): its id and summary."""
    solved = plan_scenario(LOCAL_ADMIN, str(scenario), **kw)
    return keep_plan(store, LOCAL_ADMIN, solved, out_dir=out), solved.summary


def test_energy_page_has_an_empty_state_before_any_plan(app_client):
    r = app_client.get("/energy")
    assert r.status_code == 200 and "No plan yet" in r.text


def test_energy_page_shows_the_stored_plan_and_its_csv(app_client, small_scenario, tmp_path):
    store = app_client.app.state.store
    pid, _ = _stored(store, small_scenario, tmp_path / "o")
    r = app_client.get("/energy")
    assert r.status_code == 200
    assert "Is the tariff a subsidy?" in r.text and "subsidy: PKR" in r.text
    assert 'id="btc-per-year"' in r.text and "risk-adjusted" in r.text and 'id="btc-static"' in r.text
    csv_text = app_client.get(f"/api/v1/energy/plans/{pid}/allocation.csv").text
    assert csv_text.splitlines()[0] == "zone,mining_mw,ai_mw,mining_mwh"
    assert app_client.get("/api/v1/energy/plans/999999/allocation.csv").status_code == 404


def test_plan_page_shows_both_net_values_and_compare_lists_them(app_client, small_scenario, tmp_path):
    store = app_client.app.state.store
    a, sa = _stored(store, small_scenario, tmp_path / "a")
    b, _ = _stored(store, small_scenario, tmp_path / "b", objective="min-grid-cost")
    page = app_client.get(f"/energy/plans/{a}")
    assert page.status_code == 200
    assert f"USD {sa.net_value_at_merit_order_usd_per_year:,.0f} a year" in page.text
    assert f"USD {sa.lp_objective_usd_per_year:,.0f} a year" in page.text
    cmp = app_client.get("/energy/compare", params={"a": a, "b": b})
    assert cmp.status_code == 200
    assert "net_value_at_merit_order_usd_per_year" in cmp.text and "lp_objective_usd_per_year" in cmp.text
    assert app_client.get("/energy/plans/999999").status_code == 404


def test_a_plan_stored_before_the_two_net_values_still_shows(app_client, small_scenario, tmp_path):
    import json

    from sqlalchemy import update

    from biplomacy.energy.tables import EnergyPlanRow

    store = app_client.app.state.store
    pid, summary = _stored(store, small_scenario, tmp_path / "a")
    d = summary.to_json()
    old = {k: v for k, v in d.items() if k not in ("lp_objective_usd_per_year", "net_value_at_merit_order_usd_per_year")}
    old["net_value_usd_per_year"] = d["lp_objective_usd_per_year"]
    with store.transaction() as s:
        s.execute(update(EnergyPlanRow).values(summary_json=json.dumps(old), inputs_json=None))
    page = app_client.get(f"/energy/plans/{pid}")
    assert page.status_code == 200
    assert "not computed (plan stored before this figure)" in page.text
    assert f"USD {d['lp_objective_usd_per_year']:,.0f} a year" in page.text
    listed = app_client.get("/api/v1/energy/plans").json()
    assert listed[0]["summary"] == old  # published as it was stored, keys of its time and all
