"""The energy pages (/energy, /energy/plans/{id}, /energy/compare) and the plans' JSON and CSV API."""

from __future__ import annotations

import csv
import io
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from biplomacy.core.permissions import authorize
from biplomacy.web.auth import ActorDep
from biplomacy.web.rendering import render

if TYPE_CHECKING:
    from biplomacy.energy.results import PlanEntry, StoredPlan

pages = APIRouter(tags=["pages"])
api = APIRouter(tags=["energy"])

PlanId = Annotated[int, Path(ge=1, lt=2**31, description="stored plan id")]


def _one(request: Request, plan_id: int) -> StoredPlan:
    from biplomacy.energy.plan import get_plan

    return get_plan(request.app.state.store, str(plan_id))


def _page(request: Request, plan: StoredPlan | None, plans: list[PlanEntry]) -> HTMLResponse:
    from biplomacy.energy.charts import heatmap_from, monthly_from

    specs = {}
    cd = plan.chart_data if plan is not None else None
    if cd is not None:
        specs = {"heatmap": heatmap_from(cd.hours, cd.mining_mw), "monthly": monthly_from(cd.monthly_mwh)}
    s = plan.summary if plan is not None else None
    tariffs = [] if s is None else [_tariff_row(t) for t in s.tariffs]
    sizings = [] if s is None or s.alternative is None else [
        {"plan": f"{s.sizing} (this plan)", "mw": f"{s.mining_mw_installed:,.0f}", "mwh": f"{s.mining_mwh_per_year:,.0f}",
         "btc": f"{(s.btc_per_year_static or 0):,.0f}", "lp": _usd(s.lp_objective_usd_per_year)},
        {"plan": s.alternative.sizing, "mw": f"{s.alternative.mining_mw_installed:,.0f}",
         "mwh": f"{s.alternative.mining_mwh_per_year:,.0f}", "btc": f"{s.alternative.btc_per_year_static:,.0f}",
         "lp": _usd(s.alternative.lp_objective_usd_per_year)}]
    strains = [] if s is None else [st for st in (s.strain, s.strain_risk_adjusted) if st is not None]
    zones = [] if s is None else [
        {"zone": z.zone, "mining_mw": f"{z.mining_mw:,.1f}", "ai_mw": f"{z.ai_mw:,.1f}",
         "mining_mwh": f"{z.mining_mwh:,.0f}"} for z in s.zones]
    values = {} if s is None else {"net_value_at_merit_order": _usd(s.net_value_at_merit_order_usd_per_year),
                                   "lp_objective": _usd(s.lp_objective_usd_per_year)}
    return render(request, "energy/index.html", plan=plan, plans=plans, specs=specs, tariffs=tariffs, zones=zones,
                  values=values, sizings=sizings, strains=strains)


def _usd(v: float | None) -> str:
    return "not computed (plan stored before this figure)" if v is None else f"USD {v:,.0f} a year"


def _pkr(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _tariff_row(t: Any) -> dict[str, str]:
    """One tariff verdict as the subsidy table shows it ('-' for what a plan stored by an older version lacks)."""
    rng = "-" if t.subsidy_pkr_p50 is None else f"{t.subsidy_pkr_p50:,.0f} ({t.subsidy_pkr_p5:,.0f}-{t.subsidy_pkr_p95:,.0f})"
    subsidy = t.subsidy_pkr if t.subsidy_pkr is not None else t.subsidy_vs_marginal_pkr
    return {"name": t.name, "pkr_per_kwh": f"{t.pkr_per_kwh}", "levies": ", ".join(t.levies) if t.levies else "none",
            "runs": "-" if t.runs is None else ("yes" if t.runs else "no"),
            "srmc": "-" if t.short_run_cost_pkr_kwh is None else f"{t.short_run_cost_pkr_kwh:.2f}",
            "gap": _pkr(t.subsidy_vs_marginal_pkr), "dss": _pkr(t.unpaid_debt_service_surcharge_pkr),
            "fixed": _pkr(t.unpaid_fixed_charge_pkr), "gst": _pkr(t.forgone_gst_pkr), "subsidy": _pkr(subsidy),
            "subsidy_usd": _pkr(t.subsidy_usd if t.subsidy_usd is not None else t.subsidy_vs_marginal_usd),
            "range": rng, "contribution": _pkr(t.capacity_contribution_pkr),
            "carried": _pkr(t.capacity_carried_by_others_pkr), "verdict": t.verdict}


def _index(request: Request) -> list[PlanEntry]:
    from biplomacy.energy.plan import plan_index

    return plan_index(request.app.state.store)


@pages.get("/energy", response_class=HTMLResponse, summary="The energy plan: MW per zone, BTC a year, subsidy test")
def energy_page(request: Request, actor: ActorDep) -> HTMLResponse:
    authorize(actor, "energy.read")
    plans = _index(request)  # the list needs names only; the newest plan is then read whole by its id
    return _page(request, _one(request, plans[-1].id) if plans else None, plans)


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
    return render(request, "energy/compare.html", cmp=d, rows=[(r.figure, r.a, r.b) for r in d.rows])


@api.get("/energy/plans", summary="Stored plans (summaries)")
def plans_api(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    from biplomacy.energy.plan import list_plans

    authorize(actor, "energy.read")
    return [p.to_json() for p in list_plans(request.app.state.store)]


@api.get("/energy/plans/{plan_id}/allocation.csv", summary="Installed MW per zone of a plan, as CSV")
def plan_csv(request: Request, actor: ActorDep, plan_id: PlanId) -> Response:
    authorize(actor, "energy.read")
    from biplomacy.energy.results import ZoneAllocation

    p = _one(request, plan_id)
    buf = io.StringIO()
    w = csv.writer(buf)
    columns = [f.name for f in fields(ZoneAllocation)]
    w.writerow(columns)
    w.writerows([getattr(z, c) for c in columns] for z in p.summary.zones)
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="plan-{plan_id}-zones.csv"'})
