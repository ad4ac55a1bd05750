"""The portal's risk page (/energy/risk) and its API: figures, fan chart, sources, and 4xx on bad input."""

def test_risk_page_shows_quantiles_fan_chart_and_sources(app_client):
    r = app_client.get("/energy/risk", params={"scenario": "pakistan-2025", "paths": 200, "years": 0.5, "seed": 3})
    assert r.status_code == 200, r.text
    html = r.text
    assert "Probability of loss" in html and 'id="risk-fan"' in html and "data-chart-spec" in html
    assert "P50 (median)" in html and "NPV (USD)" in html
    assert "Assumption" in html  # labelled assumptions among the sources


def test_risk_api_returns_the_same_numbers_for_the_same_seed(app_client):
    params = {"scenario": "pakistan-2025", "paths": 200, "years": 0.5, "seed": 3}
    a = app_client.get("/api/v1/energy/risk", params=params)
    b = app_client.get("/api/v1/energy/risk", params=params)
    assert a.status_code == 200, a.text
    assert a.json() == b.json()
    assert set(a.json()["npv_usd"]) >= {"p5", "p50", "p95"}


def test_bad_paths_is_422_and_an_unknown_scenario_404(app_client):
    assert app_client.get("/api/v1/energy/risk", params={"paths": 0}).status_code == 422
    assert app_client.get("/energy/risk", params={"years": "soon"}).status_code == 422
    r = app_client.get("/api/v1/energy/risk", params={"scenario": "atlantis", "paths": 10})
    assert r.status_code == 404 and "atlantis" in r.json()["detail"]


def test_the_portal_refuses_a_folder_path_as_scenario(app_client, tiny):
    r = app_client.get("/api/v1/energy/risk", params={"scenario": str(tiny), "paths": 10})
    assert r.status_code == 404


def test_fan_chart_draws_in_a_real_browser(live_server, browser_page, tmp_path):
    browser_page.goto(f"{live_server}/energy/risk?scenario=pakistan-2025&paths=200&years=1&seed=2")
    browser_page.wait_for_selector("#risk-fan[data-chart-ready='true'] svg")
    assert browser_page.locator("#risk-fan g.mark-area path").count() == 3  # one band per panel
    assert browser_page.js_errors == []
    browser_page.screenshot(path=str(tmp_path / "risk.png"), full_page=True, timeout=60_000)


def test_the_portal_runs_the_newest_stored_plan_of_the_scenario(app_client, tmp_path):
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.energy.plan import keep_plan, plan_scenario

    params = {"scenario": "pakistan-2025", "paths": 50, "years": 0.5, "seed": 3}
    before = app_client.get("/api/v1/energy/risk", params=params).json()
    assert any("solved from the scenario" in a for a in before["assumptions"])
    stored = keep_plan(app_client.app.state.store, LOCAL_ADMIN, plan_scenario(LOCAL_ADMIN, "pakistan-2025"),
                       out_dir=tmp_path / "plan", name="brief-1")
    after = app_client.get("/api/v1/energy/risk", params=params).json()
    assert any(f"stored plan {stored} (brief-1" in a for a in after["assumptions"]), after["assumptions"]
