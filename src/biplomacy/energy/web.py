"""The energy pages (/energy, /energy/plans/{id}, /energy/compare) and the plans' JSON and CSV API."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from biplomacy.core.permissions import authorize
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["energy"])

PlanId = Annotated[int, Path(ge=1, lt=2**31, description="stored plan id")]


def _plans(request: Request) -> list[dict[str, Any]]:
    from biplomacy.energy.plan import list_plans

    return list_plans(request.app.state.store)


def _one(request: Request, plan_id: int) -> dict[str, Any]:
    from biplomacy.energy.plan import get_plan

    return get_plan(request.app.state.store, str(plan_id))


def _page(request: Request, plan: dict[str, Any] | None, plans: list[dict[str, Any]]) -> HTMLResponse:
    from biplomacy.energy.charts import heatmap_from, monthly_from
    from biplomacy.energy.plan import figure

    specs = {}
    if plan is not None and "chart_data" in plan["summary"]:
        cd = plan["summary"]["chart_data"]
        specs = {"heatmap": heatmap_from(cd["hours"], cd["mining_mw"]), "monthly": monthly_from(cd["monthly_mwh"])}
    tariffs = [] if plan is None else [
        {"name": t["name"], "pkr_per_kwh": t["pkr_per_kwh"], "subsidy": f"{t['subsidy_vs_marginal_pkr']:,.0f}",
         "below_cos": f"{t['shortfall_vs_cost_of_service_pkr']:,.0f}", "verdict": t["verdict"]}
        for t in plan["summary"]["tariffs"]]
    zones = [] if plan is None else [
        {"zone": z["zone"], "mining_mw": f"{z['mining_mw']:,.1f}", "ai_mw": f"{z['ai_mw']:,.1f}",
         "mining_mwh": f"{z['mining_mwh']:,.0f}"} for z in plan["summary"]["zones"]]
    values = {} if plan is None else {k: _usd(figure(plan["summary"], k)) for k in
                                      ("net_value_at_merit_order_usd_per_year", "lp_objective_usd_per_year")}
    return render(request, "energy/index.html", plan=plan, plans=plans, specs=specs, tariffs=tariffs, zones=zones,
                  values=values)


def _usd(v: float | None) -> str:
    return "not computed (plan stored before this figure)" if v is None else f"USD {v:,.0f} a year"


def _index(request: Request) -> list[dict[str, Any]]:
    from biplomacy.energy.plan import plan_index

    return plan_index(request.app.state.store)


@pages.get("/energy", response_class=HTMLResponse, summary="The energy plan: MW per zone, BTC a year, subsidy test")
def energy_page(request: Request, actor: ActorDep) -> HTMLResponse:
    authorize(actor, "energy.read")
    plans = _index(request)  # the list needs names only; the newest plan is then read whole by its id
    return _page(request, _one(request, plans[-1]["id"]) if plans else None, plans)


@pages.get("/energy/plans/{plan_id}", response_class=HTMLResponse, summary="One stored plan")
def plan_page(request: Request, actor: ActorDep, plan_id: PlanId) -> HTMLResponse:
    authorize(actor, "energy.read")
    return _page(request, _one(request, plan_id), _index(request))


@pages.get("/energy/compare", response_class=HTMLResponse, summary="Two stored plans side by side")
def compare_page(request: Request, actor: ActorDep, a: Annotated[int, Query(ge=1, lt=2**31)],
                 b: Annotated[int, Query(ge=1, lt=2**31)]) -> HTMLResponse:
    from biplomacy.energy.plan import compare_plans

    authorize(actor, "energy.read")
    d = compare_plans(request.app.state.store, str(a), str(b))
    return render(request, "energy/compare.html", cmp=d)


@api.get("/energy/plans", summary="Stored plans (summaries)")
def plans_api(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    authorize(actor, "energy.read")
    return [p | {"summary": {k: v for k, v in p["summary"].items() if k != "chart_data"}} for p in _plans(request)]


@api.get("/energy/plans/{plan_id}/allocation.csv", summary="Installed MW per zone of a plan, as CSV")
def plan_csv(request: Request, actor: ActorDep, plan_id: PlanId) -> Response:
    authorize(actor, "energy.read")
    p = _one(request, plan_id)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["zone", "mining_mw", "ai_mw", "mining_mwh"])
    for z in p["summary"]["zones"]:
        w.writerow([z["zone"], z["mining_mw"], z["ai_mw"], z["mining_mwh"]])
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}-zones.csv"'})
