"""The risk page (/energy/risk) and its API: the Monte Carlo of a scenario's mining fleet, with its fan chart.

A run is a job (web/jobs.py) keyed by its inputs: the first request for a set of inputs starts it and answers
at once (a page that shows its progress, or 202 from the API); every later request, on any worker, reads the
kept result. The page of a finished run is then kept by the page cache like any public page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from biplomacy.core.errors import NotFound
from biplomacy.core.permissions import authorize
from biplomacy.web.auth import ActorDep
from biplomacy.web.jobs import start
from biplomacy.web.rendering import render

if TYPE_CHECKING:
    from biplomacy.house.jobs import Job
    from biplomacy.store.db import Store

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["energy"])

Scenario = Annotated[str, Query(min_length=1, max_length=100, description="name of a shipped scenario")]
# A visitor's own settings are bounded so that a run costs its job thread a second or two at most (2,000 paths x
# 5 years: 0.3-1.5 s here). Without them the run is the plan's headline Monte Carlo (the scenario's [risk]
# settings, 10,000 paths for pakistan-2025: the same figures as the energy page and `energy plan`).
WEB_MAX_PATHS = 2_000
Paths = Annotated[int | None, Query(ge=1, le=WEB_MAX_PATHS, description="Monte Carlo paths (default: the plan's)")]
Years = Annotated[float | None, Query(gt=0, le=5, description="horizon in years (default: the plan's)")]
Seed = Annotated[int | None, Query(ge=0, lt=2**63, description="seed of the PCG64 generator (default: the plan's)")]
Shock = Annotated[float, Query(gt=-1, le=10, description="immediate BTC price change, e.g. -0.5")]


RISK_JOB = "energy.risk"


def _inputs(request: Request, scenario: str, paths: int | None, years: float | None, seed: int | None,
            price_shock: float) -> dict[str, Any]:
    """Everything a run depends on: the settings, the stored plans (the newest of the scenario is simulated, so a
    newly stored plan is a new run) and the version of the model."""
    from biplomacy import __version__
    from biplomacy.energy.model.scenario import shipped_names
    from biplomacy.energy.plan import plan_index

    # The portal reads shipped scenarios only: a folder path from a visitor would read the server's disk.
    if scenario not in shipped_names():
        raise NotFound(f"scenario {scenario!r} is not a shipped scenario ({', '.join(shipped_names())})",
                       field="scenario")
    plans = sorted((p.id, p.created_at.isoformat()) for p in plan_index(request.app.state.store)
                   if p.scenario == scenario)
    return {"scenario": scenario, "paths": paths, "years": years, "seed": seed, "price_shock": price_shock,
            "plans": plans, "version": __version__}


def _compute(store: Store, inputs: dict[str, Any], progress: Callable[[int, int], None]) -> dict[str, Any]:
    """The job: the Monte Carlo (the newest stored plan of the scenario when there is one, else solved once a
    process), kept with the fan chart's spec so that showing it again costs nothing."""
    from biplomacy.energy.risk import fan_chart_for, run_risk

    paths, years, seed, shock = inputs["paths"], inputs["years"], inputs["seed"], inputs["price_shock"]
    if paths is None and years is None and seed is None and shock == 0.0:  # the plan's headline settings
        report = run_risk(inputs["scenario"], store=store, prefer_stored=True, progress=progress)
    else:
        report = run_risk(inputs["scenario"], paths=WEB_MAX_PATHS if paths is None else paths, years=years, seed=seed,
                          price_shock=shock, store=store, prefer_stored=True, progress=progress)
    return {"report": report.to_json(), "chart": fan_chart_for(report), "title": report.title}


def _job(request: Request, scenario: str, paths: int | None, years: float | None, seed: int | None,
         price_shock: float) -> Job:
    return start(request, RISK_JOB, _inputs(request, scenario, paths, years, seed, price_shock), _compute)


@pages.get("/energy/risk", response_class=HTMLResponse, summary="Monte Carlo risk of the mining fleet")
def risk_page(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025",
              paths: Paths = None, years: Years = None, seed: Seed = None,
              price_shock: Shock = 0.0) -> HTMLResponse:
    authorize(actor, "energy.read")
    form = {"scenario": scenario, "paths": paths, "years": years, "seed": seed, "price_shock": price_shock}
    job = _job(request, scenario, paths, years, seed, price_shock)
    if job.status != "done" or job.result is None:
        # Not kept by the page cache (no-store): the same address shows the result once the job is done.
        response = render(request, "energy_risk/pending.html", job=job, form=form,
                          status_code=200)
        response.headers["Cache-Control"] = "no-store"
        return response
    report = job.result["report"]
    costs = report.get("costs") or {}
    spreads = (("BTC mined", report["btc_mined"], 2), ("BTC a year", report.get("btc_per_year"), 0),
               ("Revenue (USD)", report["revenue_usd"], 0), ("Energy cost (USD)", report["energy_cost_usd"], 0),
               ("NPV (USD)", report["npv_usd"], 0), ("Subsidy (PKR a year)", costs.get("subsidy_pkr_per_year"), 0),
               ("Capacity contribution (PKR a year)", costs.get("capacity_contribution_pkr_per_year"), 0))
    rows = [{"outcome": label, "p5": _fmt(s["p5"], dp), "p50": _fmt(s["p50"], dp), "p95": _fmt(s["p95"], dp)}
            for label, s, dp in spreads if s is not None]
    shown = {**form, "paths": report["paths"], "years": report["years"], "seed": report["seed"]}
    return render(request, "energy_risk/risk.html", report=report, rows=rows, chart_spec=job.result["chart"],
                  form=shown)


@api.get("/energy/risk", summary="Monte Carlo risk of the mining fleet (JSON; 202 with the job while it runs)",
         responses={202: {"description": "the run is under way: poll `job.poll`, then ask again"}})
def risk_api(request: Request, actor: ActorDep, scenario: Scenario = "pakistan-2025", paths: Paths = None,
             years: Years = None, seed: Seed = None, price_shock: Shock = 0.0) -> Any:
    authorize(actor, "energy.read")
    job = _job(request, scenario, paths, years, seed, price_shock)
    if job.status == "done" and job.result is not None:
        return job.result["report"]
    if job.status == "failed":
        return JSONResponse({"detail": job.error, "job": job.to_json()}, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"detail": "the run is under way; poll the job, then ask again",
                         "job": {**job.to_json(), "poll": f"/api/v1/jobs/{job.id}"}}, status_code=202,
                        headers={"Retry-After": "1", "Cache-Control": "no-store"})


def _fmt(value: float, dp: int) -> str:
    return f"{float(value):,.{dp}f}"
