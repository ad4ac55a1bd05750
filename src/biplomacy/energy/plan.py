"""Use case: plan a scenario (load -> solve -> assess tariffs and strain), then keep the plan (store -> audit).

Writing the plan's files is the edge's (energy/plan_files.py): `energy plan` solves, writes, then keeps.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.energy.model import planner, planner_benders
from biplomacy.energy.model.fleet import DailyProfile, MiningFleet
from biplomacy.energy.model.merit_order import AddedLoadCost, price_added_load
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.plan_inputs import PlanEconomics
from biplomacy.energy.model.risk import Fleet, RiskResult, RiskSettings, simulate
from biplomacy.energy.model.scenario import Scenario, Tariff, load_scenario
from biplomacy.energy.model.strain import grid_strain
from biplomacy.energy.model.tariffs import TariffVerdict, assess_tariff, daily_costs, short_run_cost
from biplomacy.energy.results import (
    AlternativePlan,
    CapexSummary,
    ChartData,
    ComparedFigure,
    Headline,
    MeritOrderCost,
    PlanComparison,
    PlanEntry,
    PlanRef,
    PlanSummary,
    SolvedPlan,
    StoredPlan,
    ZoneAllocation,
)
from biplomacy.energy.tables import EnergyPlanRow
from biplomacy.house.audit import record
from biplomacy.store.db import Store

Progress = Callable[[str], None]
ALTERNATIVE_LIMIT_S = 120.0  # the other sizing's solve, set beside the plan asked for, stops here (docs/energy.md)


def mining_fleet(s: Scenario, r: planner.PlanResult) -> MiningFleet:
    """The plan's fleet: its installed MW, its hourly MW and the scenario's machines (energy/model/fleet.py)."""
    return MiningFleet(r.zones, r.mining_mw_installed, r.mining_mw, r.hours, s.fleet_j_per_th,
                       np.array([z.pue for z in s.zones]), s.fleet_usd_per_th)


def tariff_usd_mwh(s: Scenario | PlanEconomics, t: Tariff) -> float:
    return t.pkr_per_kwh * 1000.0 / s.usd_pkr


def summarise(s: Scenario, r: planner.PlanResult, alternative: planner.PlanResult | None = None,
              progress: Progress | None = None) -> PlanSummary:
    """The plan's figures, each on its basis (static and risk-adjusted)."""
    return summarise_with_economics(s, r, alternative, progress)[0]


def summarise_with_economics(s: Scenario, r: planner.PlanResult, alternative: planner.PlanResult | None = None,
                             progress: Progress | None = None) -> tuple[PlanSummary, PlanEconomics]:
    """The plan's figures, each on its basis (static and risk-adjusted), and what the risk model keeps of it."""
    say = progress or (lambda _m: None)
    reg = load_registry()
    fleet = mining_fleet(s, r)
    year_fraction = fleet.year_fraction
    total = fleet.hourly_total_mw
    day = fleet.day_index()
    profile = fleet.daily_profile()
    ai = ai_load_mw(s, r)
    src = short_run_cost(s.grid, total, ai, s.supply_cost)
    priced = price_added_load(s.grid, total, ai)  # fuel only, unadjusted: the LP's own pricing, for comparison
    costs = {t.name: daily_costs(t, src, day, profile.days, fleet.mw, s.supply_cost) for t in s.tariffs}
    static_runs = {t.name: bool(fleet.mw > 0 and fleet.static_runs(s.network, tariff_usd_mwh(s, t))) for t in s.tariffs}
    verdicts = [assess_tariff(t, src, runs=static_runs[t.name], installed_mw=fleet.mw, supply=s.supply_cost,
                              usd_pkr=s.usd_pkr, year_fraction=year_fraction) for t in s.tariffs]
    head_tariff = s.tariffs[0]
    runs = {}
    if fleet.mw > 1e-9 and fleet.mwh_per_year > 1e-9:
        for t in s.tariffs:
            say(f"Monte Carlo at tariff {t.name} ({s.risk.paths:,} paths x {s.risk.years:g} years)")
            runs[t.name] = simulate(s.network, risk_fleet(fleet, profile, s.network, t, s.usd_pkr),
                                    RiskSettings(paths=s.risk.paths, years=s.risk.years, seed=s.risk.seed),
                                    costs=costs[t.name], capacity_pkr_kwh=s.supply_cost.capacity_pkr_kwh)
    verdicts = [_with_range(v, runs.get(v.name), s.usd_pkr) for v in verdicts]
    mining_mwh = float(total.sum())
    plan_btc_year = r.expected_btc() / year_fraction
    btc_static = plan_btc_year if static_runs[head_tariff.name] else 0.0
    fleet_hs = fleet.mw * float(np.average(fleet.th_per_mw, weights=np.maximum(r.mining_mw_installed, 1e-12))) * 1e12
    diluted = btc_static * s.network.network_hashrate_hs / (s.network.network_hashrate_hs + fleet_hs * fleet.uptime)
    head = runs.get(head_tariff.name)
    strain_args = (r.zones, r.mining_mw, r.mining_mw_installed, r.derate, ai, r.ai_from_non_surplus_mw, r.surplus_mw,
                   s.grid.demand_mw)
    strain = grid_strain(*strain_args, run_weight=1.0 if static_runs[head_tariff.name] else 0.0, basis="static")
    strain_risk = grid_strain(*strain_args, run_weight=np.asarray(head.run_share_by_day)[day],
                              basis="risk-adjusted") if head is not None else None
    annuity = fleet.capex_usd * s.capex.annuity_factor
    keys = [*s.source_keys, "energy.pk.avg_purchase_cost_pkr_kwh", "energy.pk.cost_of_service_pkr_kwh"]
    summary = PlanSummary(
        scenario=s.name, objective=r.objective, hours=len(r.hours),
        mining_mw_installed=round(fleet.mw, 3),
        ai_mw_installed=round(float(r.ai_mw.sum()), 3),
        zones=tuple(ZoneAllocation(z, round(float(r.mining_mw_installed[i]), 3), round(float(r.ai_mw[i]), 3),
                                   round(float(r.mining_mw[i].sum()), 1)) for i, z in enumerate(r.zones)),
        mining_mwh_per_year=round(mining_mwh / year_fraction, 1),
        expected_btc_per_year=round(btc_static, 4),
        expected_btc_per_year_after_self_dilution=round(diluted, 4),
        btc_price_usd=s.network.btc_price_usd, difficulty=s.network.difficulty,
        net_value_at_merit_order_usd_per_year=round(merit_net_value_usd(s, r, priced) / year_fraction, 2),
        lp_objective_usd_per_year=round(r.objective_value / year_fraction, 2),
        subsidy_pkr_per_year={v.name: round(v.subsidy_pkr or 0.0, 2) for v in verdicts},
        merit_order=MeritOrderCost(
            hours_margin_moved_by_added_load=int(priced.margin_moved.sum()),
            mining_energy_cost_pkr_per_year=round(float(priced.mining_cost_pkr.sum()) / year_fraction, 2),
            mining_energy_cost_pkr_kwh=round(float(priced.mining_cost_pkr.sum()) / (mining_mwh * 1000.0), 4)
            if mining_mwh > 0 else None,
            ai_energy_cost_pkr_per_year=round(float(priced.ai_cost_pkr.sum()) / year_fraction, 2),
        ),
        tariffs=tuple(verdicts),
        strain=strain,
        solve_seconds=round(r.solve_seconds, 3),
        solve_method=r.method,
        assumptions=_assumptions(s, r, static_runs[head_tariff.name]),
        sources=tuple(reg.cited(keys)),
        sizing=r.sizing,
        btc_per_year_p50=round(head.btc_per_year.p50, 4) if head else 0.0,
        btc_per_year_p5=round(head.btc_per_year.p5, 4) if head else 0.0,
        btc_per_year_p95=round(head.btc_per_year.p95, 4) if head else 0.0,
        btc_per_year_static=round(btc_static, 4),
        headline=_headline(s, head_tariff, head, static_runs[head_tariff.name]) if head else None,
        capex=CapexSummary(round(fleet.capex_usd, 2), s.capex.rate, s.capex.life_years, round(s.capex.annuity_factor, 6),
                           round(annuity, 2), round(annuity / fleet.mwh_per_year, 4) if fleet.mwh_per_year > 0 else None,
                           s.fleet_usd_per_th, s.fleet_j_per_th),
        alternative=_alternative(s, alternative) if alternative is not None else None,
        cost_of_policy_gap_usd_per_year=_gap_cost(r, alternative),
        strain_risk_adjusted=strain_risk,
        supply_cost=s.supply_cost,
    )
    return summary, PlanEconomics.of(s, profile, costs)


def plan_economics(s: Scenario, r: planner.PlanResult) -> PlanEconomics:
    """What the risk model needs of a plan solved on the spot: its fleet's daily profile and each tariff's daily
    costs (as `summarise` keeps them), without the headline's Monte Carlo."""
    fleet = mining_fleet(s, r)
    profile = fleet.daily_profile()
    src = short_run_cost(s.grid, fleet.hourly_total_mw, ai_load_mw(s, r), s.supply_cost)
    day = fleet.day_index()
    return PlanEconomics.of(s, profile, {t.name: daily_costs(t, src, day, profile.days, fleet.mw, s.supply_cost)
                                         for t in s.tariffs})


def risk_fleet(fleet: MiningFleet, profile: DailyProfile, network: NetworkAssumptions, tariff: Tariff,
               usd_pkr: float) -> Fleet:
    """The Monte Carlo's fleet: the plan's profile, at the tariff (the same fleet on every basis)."""
    full_hs = float((fleet.installed_mw * fleet.th_per_mw).sum()) * 1e12
    return Fleet(full_hs, fleet.mw, tariff.pkr_per_kwh * 1000.0 / usd_pkr, fleet.capex_usd, max(fleet.uptime, 1e-9),
                 profile)


def _with_range(v: TariffVerdict, run: RiskResult | None, usd_pkr: float) -> TariffVerdict:
    if run is None or run.costs is None:
        return v
    c = run.costs
    return replace(v, subsidy_pkr_p5=round(c.subsidy_pkr_per_year.p5, 2), subsidy_pkr_p50=round(c.subsidy_pkr_per_year.p50, 2),
                   subsidy_pkr_p95=round(c.subsidy_pkr_per_year.p95, 2),
                   subsidy_usd_p50=round(c.subsidy_pkr_per_year.p50 / usd_pkr, 2),
                   capacity_contribution_pkr_p50=round(c.capacity_contribution_pkr_per_year.p50, 2),
                   energy_mwh_p50=round(c.mwh_per_year.p50, 1))


def _headline(s: Scenario, t: Tariff, run: RiskResult, runs_static: bool) -> Headline:
    return Headline(
        basis=(f"risk-adjusted: Monte Carlo of the plan's fleet at tariff {t.name!r}, {s.risk.paths:,} paths x "
               f"{s.risk.years:g} years (seed {s.risk.seed}); the fleet switches off on days the hashprice does not pay "
               f"the tariff; difficulty grows {s.network.difficulty_growth_per_year:.0%} a year (median), the subsidy "
               f"halves at block {s.network.halving_height:,}, self-dilution only while it runs; BTC a year = BTC over "
               f"the horizon / {s.risk.years:g}"),
        tariff=t.name, tariff_usd_mwh=round(tariff_usd_mwh(s, t), 4), paths=s.risk.paths, years=s.risk.years,
        seed=s.risk.seed, btc_per_year_p5=round(run.btc_per_year.p5, 4), btc_per_year_p50=round(run.btc_per_year.p50, 4),
        btc_per_year_p95=round(run.btc_per_year.p95, 4), share_of_days_mining=round(run.share_of_days_mining, 6),
        npv_usd_p50=round(run.npv_usd.p50, 2), probability_of_loss=round(run.probability_of_loss, 6),
        static_basis=(f"static: difficulty {s.network.difficulty / 1e12:,.2f} T, fees {s.network.fees_btc_per_block} "
                      f"BTC a block and BTC at USD {s.network.btc_price_usd:,.0f} for the whole horizon (no growth, no "
                      "halving), the plan's hours " + ("(its hashprice pays the tariff)" if runs_static else
                                                        "none: its hashprice does not pay the tariff")))


def _alternative(s: Scenario, a: planner.PlanResult) -> AlternativePlan:
    fleet = mining_fleet(s, a)
    runs = fleet.mw > 0 and fleet.static_runs(s.network, tariff_usd_mwh(s, s.tariffs[0]))
    return AlternativePlan(a.sizing, round(fleet.mw, 3), round(fleet.mwh_per_year, 1),
                           round(a.expected_btc() / fleet.year_fraction if runs else 0.0, 4),
                           round(a.objective_value / fleet.year_fraction, 2))


def _gap_cost(r: planner.PlanResult, alternative: planner.PlanResult | None) -> float | None:
    """What the policy's sizing costs against the plan that pays, USD a year on the planner's static objective."""
    if alternative is None:
        return None
    pays, policy = (r, alternative) if r.sizing == "pays" else (alternative, r)
    return round(max(0.0, pays.objective_value - policy.objective_value) * 8760.0 / len(r.hours), 2)


def _assumptions(s: Scenario, r: planner.PlanResult, runs_static: bool) -> tuple[str, ...]:
    return (
        "static figures (BTC a year, static; the tariff verdicts' point figures; the grid strain): "
        "the scenario's difficulty, fees and price for the whole horizon, no growth and no halving; the plan's hours "
        "when that hashprice pays the tariff, none when it does not"
        + ("" if runs_static else " (at the first tariff it does not: the static figures are zero)"),
        "risk-adjusted figures (BTC a year P50 with P5 and P95; each verdict's P5, P50 and P95; the risk-adjusted grid "
        "strain): the "
        "Monte Carlo of the same fleet ([risk] paths, years, seed), day by day, switched off on days its hashprice does "
        "not pay the tariff; self-dilution only while it runs",
        "the planner's LP (static) prices new load at the merit-order margin of demand plus the whole cap and charges "
        f"the machines as an annuity ({s.capex.rate:.0%} over {s.capex.life_years:g} years, factor "
        f"{s.capex.annuity_factor:.4f}); sizing {r.sizing!r}: " + ("install what pays" if r.sizing == "pays" else
                                                                  "the whole cap, as the policy asks"),
        "the subsidy test prices each hour's delivered mining kWh along the merit order (generation grossed up for "
        f"{s.supply_cost.transmission_loss_share:.1%} transmission losses, AI first, mining on top), plus variable O&M "
        f"PKR {s.supply_cost.variable_om_pkr_kwh}/kWh generated and network and system charges PKR "
        f"{s.supply_cost.network_system_pkr_kwh}/kWh; the levies an option does not charge (debt service surcharge PKR "
        f"{s.supply_cost.debt_service_surcharge_pkr_kwh}/kWh, fixed charge PKR {s.supply_cost.fixed_charge_pkr_kw_month}"
        f"/kW/month, GST {s.supply_cost.gst_share:.0%}) count against it",
        "Net value at the merit order (USD a year): the BTC the plan's hours mine at the scenario's price less their "
        "fuel along the merit order (no losses, O&M, network or capex: the LP's own energy basis, for comparison with "
        "the planner's objective value, which also charges the capex annuity)",
        f"hourly ambient = monthly mean +/- {planner.DIURNAL_SWING_C} degC; ASICs derate 3 %/degC above "
        f"{s.fleet_ambient_limit_c} degC",
    )


def merit_net_value_usd(s: Scenario, r: planner.PlanResult, priced: AddedLoadCost) -> float:
    """The planned mining's net value over the plan's hours, priced as the LP prices energy: the BTC its MWh mine
    (scenario's difficulty, fees and price) less what those MWh cost along the merit order (fuel), each hour's
    mining load on top of demand and the AI's load (merit_order.price_added_load)."""
    return r.expected_btc() * s.network.btc_price_usd - float(priced.mining_cost_pkr.sum()) / s.usd_pkr


def ai_load_mw(s: Scenario, r: planner.PlanResult) -> float:
    """The AI data centres' load in every hour: installed AI MW at their uptime."""
    return float(r.ai_mw.sum()) * s.ai.uptime


def inputs_digest(s: Scenario) -> tuple[str, str]:
    toml = (s.folder / "scenario.toml").read_text(encoding="utf-8")
    h = hashlib.sha256(toml.encode())
    h.update((s.folder / "grid.csv").read_bytes())
    return h.hexdigest(), toml


def default_sizing(s: Scenario) -> str:
    """The policy plan (the whole cap) when the zones can host it, else the plan that pays."""
    return "policy" if sum(z.connection_limit_mw for z in s.zones) >= s.cap_mw else "pays"


def plan_scenario(actor: Actor, scenario: str | Path, *, objective: str = "net-value", sizing: str | None = None,
                  time_limit: float | None = None, progress: Progress | None = None,
                  method: str = "auto") -> SolvedPlan:
    """Solve the planner's LP for `scenario` (a shipped name or a folder) at `sizing` ("policy": the whole cap;
    "pays": what pays; None: the policy plan where the zones can host the cap), solve the other sizing beside it
    where it can be had, and summarise the plan; nothing is kept.

    `time_limit` (seconds, None: none) bounds each solve: where the surplus binds in many hours a large scenario can
    take HiGHS far longer than a plan without binding surplus (docs/adr/0008), and an analyst is better told so and
    what to change than left waiting. Past it: an error naming the field, and nothing is solved further."""
    authorize(actor, "energy.plan")
    if method not in planner_benders.METHODS:
        raise InputError(f"{method!r} is not one of {', '.join(planner_benders.METHODS)}", field="method")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise InputError(f"must be a positive number of seconds, not {time_limit:g}", field="time_limit")
    say = progress or (lambda _m: None)
    say("loading scenario")
    s = load_scenario(scenario)
    sizing = sizing if sizing is not None else default_sizing(s)
    if sizing not in planner.SIZINGS:
        raise InputError(f"{sizing!r} is not one of {', '.join(planner.SIZINGS)}", field="sizing")
    results: dict[str, planner.PlanResult] = {}
    # the plan that pays first: where it already installs the whole cap, it is the policy plan too (same LP optimum:
    # the policy only adds the cap as a lower bound, which that optimum meets), and the policy LP is not solved again
    for sz in ("pays", "policy"):
        if sz == "policy" and default_sizing(s) != "policy":
            if sizing == "policy":
                planner.build(s, objective, sizing="policy")  # says why the zones cannot host the cap
            continue  # no policy plan to set beside the plan that pays
        pays = results.get("pays")
        if sz == "policy" and pays is not None and float(pays.mining_mw_installed.sum() + pays.ai_mw.sum()) >= \
                s.cap_mw - 1e-6:
            results["policy"] = replace(pays, sizing="policy")
            continue
        say(f"building the LP ({len(s.zones)} zones x {len(s.grid.hours):,} h, sizing {sz})")
        model = planner.build(s, objective, sizing=sz)
        how = planner_benders.chosen(method, model)
        by = planner_benders.solve_by(how)
        say(f"solving with HiGHS ({model.num_col:,} columns, {model.num_row:,} rows, method {how})")
        if sz == sizing:
            x, obj, seconds = planner.solve_within(s, model, sz, time_limit, by)
        else:  # the plan set beside it is a comparison: it may not hold the requested one up for long
            limit = ALTERNATIVE_LIMIT_S if time_limit is None else min(time_limit, ALTERNATIVE_LIMIT_S)
            try:
                x, obj, seconds = by(model, planner.SolverSettings(time_limit_s=limit))
            except InputError as exc:
                say(f"the {sz} plan was not solved within {limit:g} s ({exc}); reported without it")
                continue
        results[sz] = planner.write_back(s, model, x, objective, obj, seconds, sz, how)
    r = results[sizing]
    other = next((v for k, v in results.items() if k != sizing), None)
    summary, economics = summarise_with_economics(s, r, other, progress=say)
    return SolvedPlan(s, r, summary, chart_data(r), economics)


def keep_plan(store: Store, actor: Actor, plan: SolvedPlan, *, out_dir: Path, files: Sequence[Path] = (),
              name: str | None = None) -> int:
    """Store a solved plan with its inputs, the files written of it (under `out_dir`) and its chart data, audited
    in the same transaction; returns the stored plan's id."""
    authorize(actor, "energy.plan")
    s, summary = plan.scenario, plan.summary
    digest, toml = inputs_digest(s)
    kept = summary.to_json() | {"files": [str(f) for f in files], "chart_data": plan.chart_data.to_json()}
    with store.transaction() as session:
        row = EnergyPlanRow(name=name or f"{s.name} ({summary.objective})", scenario=s.name,
                            objective=summary.objective, created_at=datetime.now(UTC), created_by=actor.name,
                            inputs_sha256=digest, inputs_toml=toml, summary_json=json.dumps(kept), out_dir=str(out_dir),
                            inputs_json=json.dumps(plan.economics.to_json()))
        session.add(row)
        session.flush()
        record(session, actor=actor.name, action="energy.plan", subject=f"energy_plan/{row.id}",
               payload={"scenario": s.name, "objective": summary.objective, "inputs_sha256": digest,
                        "mining_mw_installed": summary.mining_mw_installed,
                        "expected_btc_per_year": summary.expected_btc_per_year})
        return row.id


def chart_data(r: planner.PlanResult) -> ChartData:
    """What the portal needs to redraw the plan's charts: total mining MW per hour, MWh per zone and month."""
    months = np.array([int(h[5:7]) for h in r.hours])
    return ChartData(tuple(r.hours), tuple(round(float(v), 1) for v in r.mining_mw.sum(axis=0)),
                     {z: tuple(round(float(r.mining_mw[i, months == m].sum()), 1) for m in range(1, 13))
                      for i, z in enumerate(r.zones)})


def list_plans(store: Store) -> list[StoredPlan]:
    with store.read() as s:
        rows = s.execute(select(EnergyPlanRow).order_by(EnergyPlanRow.id)).scalars().all()
        return [_stored(r) for r in rows]


def plan_index(store: Store) -> list[PlanEntry]:
    """Every stored plan's id, name, scenario, objective and time, oldest first, without reading summaries."""
    cols = (EnergyPlanRow.id, EnergyPlanRow.name, EnergyPlanRow.scenario, EnergyPlanRow.objective,
            EnergyPlanRow.created_at, EnergyPlanRow.adopted_at)
    with store.read() as s:
        return [PlanEntry(*row) for row in s.execute(select(*cols).order_by(EnergyPlanRow.id)).all()]


def _stored(r: EnergyPlanRow) -> StoredPlan:
    kept = json.loads(r.summary_json)
    return StoredPlan(r.id, r.name, r.scenario, r.objective, r.created_at, r.created_by, r.inputs_sha256,
                      PlanSummary.from_json(kept), kept, r.adopted_at, r.adopted_by)


def plan_id(ref: str) -> int | None:
    """`ref` as a plan id when it is one as written (digits, no sign or leading zero, within the column's range)."""
    ref = str(ref)
    if ref.isascii() and ref.isdigit() and ref == str(int(ref)) and 0 < int(ref) < 2**31:
        return int(ref)
    return None


def _find(s: Any, ref: str) -> EnergyPlanRow:
    """The plan with id `ref`, else the oldest plan named `ref` (names are not unique: `energy plan` names a plan
    "<scenario> (<objective>)" unless --name is given, so the first plan of a name keeps answering to it)."""
    pid = plan_id(ref)
    row = s.get(EnergyPlanRow, pid) if pid is not None else None
    if row is None:
        row = s.execute(select(EnergyPlanRow).where(EnergyPlanRow.name == str(ref))
                        .order_by(EnergyPlanRow.id).limit(1)).scalars().first()
    if row is None:
        raise NotFound(f"no stored plan {ref!r} (see `biplomacy energy plans`)", field="plan")
    found: EnergyPlanRow = row
    return found


def get_plan(store: Store, ref: str) -> StoredPlan:
    """One stored plan by id or name (see `_find`), read by key."""
    with store.read() as s:
        return _stored(_find(s, ref))


def get_plan_with_inputs(store: Store, ref: str) -> tuple[StoredPlan, dict[str, Any] | None]:
    """A stored plan (as `get_plan`) and the inputs it keeps for the risk model (None for plans stored before
    0008_energy_plan_inputs)."""
    with store.read() as s:
        row = _find(s, ref)
        return _stored(row), (json.loads(row.inputs_json) if row.inputs_json is not None else None)


def _newest(store: Store, *where: ColumnElement[bool]) -> StoredPlan | None:
    """The most recently stored plan (highest id) meeting `where`, or None."""
    with store.read() as s:
        row = s.execute(select(EnergyPlanRow).where(*where).order_by(EnergyPlanRow.id.desc()).limit(1)).scalars().first()
        return _stored(row) if row is not None else None


def newest_plan(store: Store) -> StoredPlan | None:
    """The most recently stored plan of any scenario, or None when none is stored."""
    return _newest(store)


def adopted_plan(store: Store) -> StoredPlan | None:
    """The plan in force: the one adopted last (None while every stored plan is a draft)."""
    with store.read() as s:
        row = s.execute(select(EnergyPlanRow).where(EnergyPlanRow.adopted_at.is_not(None))
                        .order_by(EnergyPlanRow.adopted_at.desc(), EnergyPlanRow.id.desc()).limit(1)).scalars().first()
        return _stored(row) if row is not None else None


def adopt_plan(store: Store, actor: Actor, ref: str) -> StoredPlan:
    """Adopt a stored plan (by id or name): it becomes the plan the public pages show; the plan adopted before
    goes back to being a draft. Audited in the same transaction."""
    authorize(actor, "energy.adopt")
    with store.transaction() as session:
        row = _find(session, ref)
        before = session.execute(select(EnergyPlanRow).where(EnergyPlanRow.adopted_at.is_not(None))).scalars().all()
        for other in before:
            if other.id != row.id:
                other.adopted_at, other.adopted_by = None, None
        if row.adopted_at is None:
            row.adopted_at, row.adopted_by = datetime.now(UTC), actor.name
        record(session, actor=actor.name, action="energy.plan.adopt", subject=f"energy_plan/{row.id}",
               payload={"name": row.name, "withdrawn": sorted(o.id for o in before if o.id != row.id)})
        session.flush()
        return _stored(row)


def latest_plan_of(store: Store, scenario: str, inputs_sha256: str) -> StoredPlan | None:
    """The newest stored plan of this scenario made from these very inputs, or None."""
    return _newest(store, EnergyPlanRow.scenario == scenario, EnergyPlanRow.inputs_sha256 == inputs_sha256)


COMPARED = (("sizing", "Sizing (policy: the whole cap; pays: what pays)", ""),
            ("mining_mw_installed", "Mining installed", "MW"), ("ai_mw_installed", "AI data centres installed", "MW"),
            ("mining_mwh_per_year", "Mining energy a year", "MWh"),
            ("btc_per_year_p50", "BTC a year, risk-adjusted P50", "BTC"),
            ("btc_per_year_p5", "BTC a year, risk-adjusted P5", "BTC"),
            ("btc_per_year_p95", "BTC a year, risk-adjusted P95", "BTC"),
            ("btc_per_year_static", "BTC a year, static", "BTC"),
            ("expected_btc_per_year_after_self_dilution", "BTC a year once difficulty absorbs the fleet (static)",
             "BTC"),
            ("btc_price_usd", "BTC price assumed", "USD per BTC"),
            ("net_value_at_merit_order_usd_per_year", "Net value at the merit order", "USD a year"),
            ("lp_objective_usd_per_year", "Planner's objective value", "USD a year"),
            ("cost_of_policy_gap_usd_per_year", "Cost of installing the whole cap rather than what pays",
             "USD a year"))

def _difference(a: Any, b: Any) -> float | None:
    """B less A where both are numbers (None for text, or a figure one plan lacks)."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    return float(b) - float(a) if numbers else None


def _figure(key: str, label: str, unit: str, a: Any, b: Any) -> ComparedFigure:
    return ComparedFigure(key, a, b, label, unit, _difference(a, b))


def compare_plans(store: Store, a: str, b: str) -> PlanComparison:
    """Two stored plans side by side, each figure in words with its unit and B less A: the objective, the COMPARED
    figures, each tariff option's price and subsidy, each zone's mining MW."""
    pa, pb = get_plan(store, a), get_plan(store, b)
    sa, sb = pa.summary, pb.summary
    rows = [_figure("objective", "Planner's objective", "", pa.objective, pb.objective)]
    rows += [_figure(k, label, unit, getattr(sa, k), getattr(sb, k)) for k, label, unit in COMPARED]
    price_a, price_b = ({t.name: t.pkr_per_kwh for t in p.tariffs} for p in (sa, sb))
    for t in sorted(set(sa.subsidy_pkr_per_year) | set(sb.subsidy_pkr_per_year) | price_a.keys() | price_b.keys()):
        rows.append(_figure(f"tariff_pkr_per_kwh[{t}]", f"Tariff {t}", "PKR per kWh", price_a.get(t), price_b.get(t)))
        rows.append(_figure(f"subsidy_pkr_per_year[{t}]", f"Subsidy under tariff {t}", "PKR a year",
                            sa.subsidy_pkr_per_year.get(t), sb.subsidy_pkr_per_year.get(t)))
    mw_a, mw_b = ({z.zone: z.mining_mw for z in p.zones} for p in (sa, sb))
    rows += [_figure(f"mining_mw[{z}]", f"Mining in zone {z}", "MW", mw_a.get(z), mw_b.get(z))
             for z in sorted(mw_a.keys() | mw_b.keys())]
    return PlanComparison(PlanRef(pa.id, pa.name, pa.status), PlanRef(pb.id, pb.name, pb.status), tuple(rows))
