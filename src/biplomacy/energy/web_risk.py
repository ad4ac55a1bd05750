"""The risk page (/energy/risk) and its API: the Monte Carlo of a scenario's mining fleet, with its fan chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from biplomacy.core.errors import NotFound
from biplomacy.core.permissions import authorize
from biplomacy.web.auth import ActorDep
from biplomacy.web.rate_limit import compute_limit
from biplomacy.web.rendering import render

if TYPE_CHECKING:
    from biplomacy.energy.results import RiskReport

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["energy"])

Scenario = Annotated[str, Query(min_length=1, max_length=100, description="name of a shipped scenario")]
# A visitor's own settings are bounded so that a public request costs well under a second (2,000 paths x 5 years
# ~ 0.5 s); without them the page shows the plan's headline Monte Carlo (the scenario's [risk] settings, 10,000
# paths for pakistan-2025: the same figures as the energy page and `energy plan`), computed once per stored plan.
WEB_MAX_PATHS = 2_000
Paths = Annotated[int | None, Query(ge=1, le=WEB_MAX_PATHS, description="Monte Carlo paths (default: the plan's)")]
Years = Annotated[float | None, Query(gt=0, le=5, description="horizon in years (default: the plan's)")]
Seed = Annotated[int | None, Query(ge=0, lt=2**63, description="seed of the PCG64 generator (default: the plan's)")]
Shock = Annotated[float, Query(gt=-1, le=10, description="immediate BTC price change, e.g. -0.5")]

_HEADLINES: dict[tuple[Any, ...], RiskReport] = {}  # the headline settings' report, per scenario and stored plan


def _run(request: Request, scenario: str, paths: int | None, years: float | None, seed: int | None,
         price_shock: float) -> RiskReport:
    from biplomacy.energy.model.scenario import load_scenario, shipped_names
    from biplomacy.energy.risk import latest_plan, run_risk

    # The portal reads shipped scenarios only: a folder path from a visitor would read the server's disk.
    if scenario not in shipped_names():
        raise NotFound(f"scenario {scenario!r} is not a shipped scenario ({', '.join(shipped_names())})",
                       field="scenario")
    store = request.app.state.store
    if paths is None and years is None and seed is None and price_shock == 0.0:
        latest = latest_plan(load_scenario(scenario), store)
        key = (scenario, latest.id if latest is not None else None)
        if key not in _HEADLINES:
            if len(_HEADLINES) > 16:
                _HEADLINES.clear()
            _HEADLINES[key] = run_risk(scenario, store=store, prefer_stored=True)
        return _HEADLINES[key]
    # The newest stored plan of the scenario when there is one (solving the LP takes seconds); else solved once.
    return run_risk(scenario, paths=paths if paths is not None else WEB_MAX_PATHS, years=years, seed=seed,
                    price_shock=price_shock, store=store, prefer_stored=True)


@pages.get("/energy/risk", response_class=HTMLResponse, summary="Monte Carlo risk of the mining fleet",
           dependencies=[Depends(compute_limit)])
def risk_page(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025",
              paths: Paths = None, years: Years = None, seed: Seed = None,
              price_shock: Shock = 0.0) -> HTMLResponse:
    from biplomacy.energy.risk import fan_chart_for

    authorize(actor, "energy.read")
    report = _run(request, scenario, paths, years, seed, price_shock)
    rows = [{"outcome": label, "p5": _fmt(spread.p5, dp), "p50": _fmt(spread.p50, dp), "p95": _fmt(spread.p95, dp)}
            for label, spread, dp in (("BTC mined", report.btc_mined, 2), ("BTC a year", report.btc_per_year, 0),
                                      ("Revenue (USD)", report.revenue_usd, 0),
                                      ("Energy cost (USD)", report.energy_cost_usd, 0),
                                      ("NPV (USD)", report.npv_usd, 0),
                                      *((("Subsidy (PKR a year)", report.costs.subsidy_pkr_per_year, 0),
                                         ("Capacity contribution (PKR a year)",
                                          report.costs.capacity_contribution_pkr_per_year, 0))
                                        if report.costs is not None else ()))
            if spread is not None]
    return render(request, "energy_risk/risk.html", report=report, rows=rows, chart_spec=fan_chart_for(report),
                  form={"scenario": scenario, "paths": report.paths, "years": report.years, "seed": report.seed,
                        "price_shock": price_shock})


@api.get("/energy/risk", summary="Monte Carlo risk of the mining fleet (JSON)", dependencies=[Depends(compute_limit)])
def risk_api(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025", paths: Paths = None,
             years: Years = None, seed: Seed = None, price_shock: Shock = 0.0) -> dict[str, Any]:
    authorize(actor, "energy.read")
    return _run(request, scenario, paths, years, seed, price_shock).to_json()


def _fmt(value: float, dp: int) -> str:
    return f"{value:,.{dp}f}"
