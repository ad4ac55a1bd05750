"""The energy pages (/energy, /energy/plans/{id}, /energy/compare) and the plans' JSON and CSV API."""

from __future__ import annotations

import csv
import io
import threading
from collections import OrderedDict
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

_SPECS_LOCK = threading.Lock()
PlanId = Annotated[int, Path(ge=1, lt=2**31, description="stored plan id")]


def _one(request: Request, plan_id: int) -> StoredPlan:
    from biplomacy.energy.plan import get_plan

    return get_plan(request.app.state.store, str(plan_id))


# A stored plan's charts by the plan's key (id, name, time stored): a stored plan does not change, so its specs
# are built once a process, not again each time a write elsewhere makes the page render afresh.
_SPECS: OrderedDict[tuple[int, str, str], dict[str, Any]] = OrderedDict()
_SPECS_KEPT = 4  # each holds a year of hours: a few MB


def _specs(plan: StoredPlan) -> dict[str, Any]:
    from biplomacy.energy.charts import heatmap_from, monthly_from

    cd = plan.chart_data
    if cd is None:
        return {}
    key = (plan.id, plan.name, plan.created_at.isoformat())
    with _SPECS_LOCK:
        if key in _SPECS:
            _SPECS.move_to_end(key)
            return _SPECS[key]
    specs = {"heatmap": heatmap_from(cd.hours, cd.mining_mw), "monthly": monthly_from(cd.monthly_mwh)}
    with _SPECS_LOCK:
        _SPECS[key] = specs
        while len(_SPECS) > _SPECS_KEPT:
            _SPECS.popitem(last=False)
    return specs


def _page(request: Request, plan: StoredPlan | None, plans: list[PlanEntry]) -> HTMLResponse:
    specs = _specs(plan) if plan is not None else {}
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


@pages.get("/energy", response_class=HTMLResponse, summary="The adopted energy plan: MW per zone, BTC a year, subsidy")
def energy_page(request: Request, actor: ActorDep) -> HTMLResponse:
    """The adopted plan; while none is adopted, the newest draft, marked as a draft."""
    from biplomacy.energy.plan import adopted_plan

    authorize(actor, "energy.read")
    plans = _index(request)  # the list needs names only; the plan shown is then read whole
    adopted = adopted_plan(request.app.state.store)
    return _page(request, adopted or (_one(request, plans[-1].id) if plans else None), plans)


@pages.get("/energy/plans/{plan_id}", response_class=HTMLResponse, summary="One stored plan")
def plan_page(request: Request, actor: ActorDep, plan_id: PlanId) -> HTMLResponse:
    authorize(actor, "energy.read")
    return _page(request, _one(request, plan_id), _index(request))


PlanRefQuery = Annotated[str | None, Query(min_length=1, max_length=200, description="a stored plan's id or name")]


@pages.get("/energy/compare", response_class=HTMLResponse, summary="Two stored plans side by side, with B less A")
def compare_page(request: Request, actor: ActorDep, a: PlanRefQuery = None, b: PlanRefQuery = None) -> HTMLResponse:
    """Without `a` and `b`, the form alone: the adopted plan against the newest draft by default."""
    from biplomacy.energy.charts import compare_zones_spec
    from biplomacy.energy.plan import compare_plans

    authorize(actor, "energy.read")
    plans = _index(request)
    if a is None or b is None:
        adopted = [p for p in plans if p.adopted_at is not None]
        first = adopted[-1] if adopted else (plans[-2] if len(plans) > 1 else None)
        return render(request, "energy/compare.html", cmp=None, rows=[], plans=plans, chart=None,
                      a=a or (str(first.id) if first else ""), b=b or (str(plans[-1].id) if plans else ""))
    d = compare_plans(request.app.state.store, a, b)
    zones = {r.label.removeprefix("Mining in zone "): (r.a, r.b) for r in d.rows if r.figure.startswith("mining_mw[")}
    rows = [{"label": r.label, "unit": r.unit, "a": _cell(r.a), "b": _cell(r.b), "difference": _cell(r.difference, True)}
            for r in d.rows]
    return render(request, "energy/compare.html", cmp=d, rows=rows, plans=plans, a=a, b=b,
                  chart=compare_zones_spec(d.a.name, d.b.name, zones) if zones else None)


@api.get("/energy/compare.csv", summary="Two stored plans side by side, with B less A, as CSV")
def compare_csv(request: Request, actor: ActorDep, a: Annotated[str, Query(min_length=1, max_length=200)],
                b: Annotated[str, Query(min_length=1, max_length=200)]) -> Response:
    """The compare page's table; each row names both plans with their status (a draft is a what-if)."""
    from biplomacy.energy.plan import compare_plans

    authorize(actor, "energy.read")
    d = compare_plans(request.app.state.store, a, b)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["figure", "label", "unit", "a", "b", "difference", "plan_a", "plan_b"])
    names = (f"{d.a.id}: {d.a.name} ({d.a.status})", f"{d.b.id}: {d.b.name} ({d.b.status})")
    w.writerows([r.figure, r.label, r.unit, r.a, r.b, r.difference, *names] for r in d.rows)
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="compare-{d.a.id}-{d.b.id}.csv"'})


def _cell(value: object, signed: bool = False) -> object:
    """A figure grouped by thousands (two decimals under 100), a sign on differences; text as it is."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    digits = 2 if abs(value) < 100 else 0
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


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
