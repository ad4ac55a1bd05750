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

# The portal runs fewer paths by default than the CLI so that a page answers in well under a second.
WEB_DEFAULT_PATHS = 2_000

Scenario = Annotated[str, Query(min_length=1, max_length=100, description="name of a shipped scenario")]
# Bounded so that a public request costs well under a second (2,000 paths x 5 years ~ 0.3 s); the CLI runs any
# number of paths (10,000 by default) for the figures that go into a brief.
WEB_MAX_PATHS = 2_000
Paths = Annotated[int, Query(ge=1, le=WEB_MAX_PATHS, description="Monte Carlo paths (the CLI runs more)")]
Years = Annotated[float, Query(gt=0, le=5, description="horizon in years")]
Seed = Annotated[int, Query(ge=0, lt=2**63, description="seed of the PCG64 generator")]
Shock = Annotated[float, Query(gt=-1, le=10, description="immediate BTC price change, e.g. -0.5")]


def _run(request: Request, scenario: str, paths: int, years: float, seed: int, price_shock: float) -> RiskReport:
    from biplomacy.energy.model.scenario import shipped_names
    from biplomacy.energy.risk import run_risk

    # The portal reads shipped scenarios only: a folder path from a visitor would read the server's disk.
    if scenario not in shipped_names():
        raise NotFound(f"scenario {scenario!r} is not a shipped scenario ({', '.join(shipped_names())})",
                       field="scenario")
    # The newest stored plan of the scenario when there is one (solving the LP takes seconds); else solved once.
    return run_risk(scenario, paths=paths, years=years, seed=seed, price_shock=price_shock,
                    store=request.app.state.store, prefer_stored=True)


@pages.get("/energy/risk", response_class=HTMLResponse, summary="Monte Carlo risk of the mining fleet",
           dependencies=[Depends(compute_limit)])
def risk_page(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025",
              paths: Paths = WEB_DEFAULT_PATHS, years: Years = 5.0, seed: Seed = 1,
              price_shock: Shock = 0.0) -> HTMLResponse:
    from biplomacy.energy.risk import fan_chart_for

    authorize(actor, "energy.read")
    report = _run(request, scenario, paths, years, seed, price_shock)
    rows = [{"outcome": label, "p5": _fmt(spread.p5, dp), "p50": _fmt(spread.p50, dp), "p95": _fmt(spread.p95, dp)}
            for label, spread, dp in (("BTC mined", report.btc_mined, 2), ("Revenue (USD)", report.revenue_usd, 0),
                                      ("Energy cost (USD)", report.energy_cost_usd, 0),
                                      ("NPV (USD)", report.npv_usd, 0))]
    return render(request, "energy_risk/risk.html", report=report, rows=rows, chart_spec=fan_chart_for(report),
                  form={"scenario": scenario, "paths": paths, "years": years, "seed": seed,
                        "price_shock": price_shock})


@api.get("/energy/risk", summary="Monte Carlo risk of the mining fleet (JSON)", dependencies=[Depends(compute_limit)])
def risk_api(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025", paths: Paths = WEB_DEFAULT_PATHS,
             years: Years = 5.0, seed: Seed = 1, price_shock: Shock = 0.0) -> dict[str, Any]:
    authorize(actor, "energy.read")
    return _run(request, scenario, paths, years, seed, price_shock).to_json()


def _fmt(value: float, dp: int) -> str:
    return f"{value:,.{dp}f}"
