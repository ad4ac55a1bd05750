"""The energy page shows the stored plan (MW per zone, BTC a year, tariff verdicts) and its charts."""

from biplomacy.permissions import LOCAL_ADMIN
from biplomacy.services.energy_plan import run_plan


def test_energy_page_has_an_empty_state_before_any_plan(app_client):
    r = app_client.get("/energy")
    assert r.status_code == 200 and "No plan yet" in r.text


def test_energy_page_shows_the_stored_plan_and_its_csv(app_client, small_scenario, tmp_path):
    store = app_client.app.state.store
    d = run_plan(store, LOCAL_ADMIN, str(small_scenario), tmp_path / "o", charts=False)
    r = app_client.get("/energy")
    assert r.status_code == 200
    assert "Is the tariff a subsidy?" in r.text and "subsidy: the MWh mined cost more along the merit order" in r.text
    csv_text = app_client.get(f"/api/v1/energy/plans/{d['plan_id']}/allocation.csv").text
    assert csv_text.splitlines()[0] == "zone,mining_mw,ai_mw,mining_mwh"
    assert app_client.get("/api/v1/energy/plans/999999/allocation.csv").status_code == 404
