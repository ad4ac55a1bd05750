"""Use case: plan a scenario (load -> solve -> assess tariffs and strain), then keep the plan (store -> audit).

Writing the plan's files is the edge's (energy/plan_files.py): `energy plan` solves, writes, then keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select

from biplomacy.core.errors import NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.energy.model import planner
from biplomacy.energy.model.merit_order import AddedLoadCost, price_added_load
from biplomacy.energy.model.plan_inputs import PlanEconomics
from biplomacy.energy.model.scenario import Scenario, load_scenario
from biplomacy.energy.model.strain import grid_strain
from biplomacy.energy.model.tariffs import assess_tariff
from biplomacy.energy.results import (
    ChartData,
    ComparedFigure,
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


def summarise(s: Scenario, r: planner.PlanResult) -> PlanSummary:
    """The plan's figures: installed MW, BTC a year, the tariff verdicts, grid strain, sources."""
    reg = load_registry()
    year_fraction = len(s.grid.hours) / 8760.0
    total = r.mining_mw.sum(axis=0)
    avg_cost = reg.number("energy.pk.avg_purchase_cost_pkr_kwh")
    cos = reg.number("energy.pk.cost_of_service_pkr_kwh")
    priced = price_added_load(s.grid, total, ai_load_mw(s, r))
    tariffs = tuple(assess_tariff(t.name, t.pkr_per_kwh, total, priced.mining_cost_pkr, priced.marginal_cost_pkr_kwh,
                                  average_cost_pkr_kwh=avg_cost, cost_of_service_pkr_kwh=cos, usd_pkr=s.usd_pkr,
                                  year_fraction=year_fraction)
                    for t in s.tariffs)
    mining_mwh = float(total.sum())
    btc_year = r.expected_btc() / year_fraction
    fleet_hs = float(r.mining_mw_installed.sum()) * 1e6 / s.fleet_j_per_th * 1e12
    diluted = btc_year * s.network.network_hashrate_hs / (s.network.network_hashrate_hs + fleet_hs)
    strain = grid_strain(r.zones, r.mining_mw, r.mining_mw_installed, r.derate, s.ai.firm_mw * s.ai.uptime,
                         r.ai_from_non_surplus_mw, r.surplus_mw, s.grid.demand_mw)
    keys = [*s.source_keys, "energy.pk.avg_purchase_cost_pkr_kwh", "energy.pk.cost_of_service_pkr_kwh"]
    return PlanSummary(
        scenario=s.name, objective=r.objective, hours=len(r.hours),
        mining_mw_installed=round(float(r.mining_mw_installed.sum()), 3),
        ai_mw_installed=round(float(r.ai_mw.sum()), 3),
        zones=tuple(ZoneAllocation(z, round(float(r.mining_mw_installed[i]), 3), round(float(r.ai_mw[i]), 3),
                                   round(float(r.mining_mw[i].sum()), 1)) for i, z in enumerate(r.zones)),
        mining_mwh_per_year=round(float(total.sum()) / year_fraction, 1),
        expected_btc_per_year=round(btc_year, 4),
        expected_btc_per_year_after_self_dilution=round(diluted, 4),
        btc_price_usd=s.network.btc_price_usd, difficulty=s.network.difficulty,
        net_value_at_merit_order_usd_per_year=round(merit_net_value_usd(s, r, priced) / year_fraction, 2),
        lp_objective_usd_per_year=round(r.objective_value / year_fraction, 2),
        subsidy_pkr_per_year={t.name: round(t.subsidy_vs_marginal_pkr, 2) for t in tariffs},
        merit_order=MeritOrderCost(
            hours_margin_moved_by_added_load=int(priced.margin_moved.sum()),
            mining_energy_cost_pkr_per_year=round(float(priced.mining_cost_pkr.sum()) / year_fraction, 2),
            mining_energy_cost_pkr_kwh=round(float(priced.mining_cost_pkr.sum()) / (mining_mwh * 1000.0), 4)
            if mining_mwh > 0 else None,
            ai_energy_cost_pkr_per_year=round(float(priced.ai_cost_pkr.sum()) / year_fraction, 2),
        ),
        tariffs=tariffs,
        strain=strain,
        solve_seconds=round(r.solve_seconds, 3),
        assumptions=(
            "expected BTC at the scenario's difficulty and fees (no growth); the self-diluted figure lets "
            "difficulty absorb the fleet's own hashrate",
            "the planner's LP prices new load at the merit-order margin of demand plus the whole cap (conservative); "
            "the tariff test prices each hour's actual added load along the merit order (grid.csv sources): the AI's "
            "firm load on top of demand, the mining load on top of that, each MWh at the plant that serves it",
            "Net value at the merit order (USD a year): the BTC the planned mining yields at the scenario's price less "
            "its energy priced like the tariff test (each hour's mining MWh along the merit order, on top of demand "
            "and the AI); the AI's energy is not in it (it is the AI's energy cost at the merit order, PKR a year, reported apart). "
            "The planner's objective value (USD a year; net-value: BTC value less every mining MWh at "
            "the margin of demand plus the whole cap, less non-surplus generation for the AI at the dearest plant; "
            "min-grid-cost: the first tariff less that margin, non-surplus generation at 10x the dearest plant). "
            "For a net-value plan the merit-order figure is never below the LP objective",
            f"hourly ambient = monthly mean +/- {planner.DIURNAL_SWING_C} degC; ASICs derate 3 %/degC above "
            f"{s.fleet_ambient_limit_c} degC",
            "Subsidy (PKR a year): per hour mined, what the mining MWh cost along the merit order less what the tariff "
            "pays for them, summed over the hours where that is positive",
        ),
        sources=tuple(reg.cited(keys)),
    )


def merit_net_value_usd(s: Scenario, r: planner.PlanResult, priced: AddedLoadCost) -> float:
    """The planned mining's net value over the plan's hours, priced as the tariff test prices it: the BTC its MWh
    mine (scenario's difficulty, fees and price) less what those MWh cost along the merit order, each hour's
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


def plan_scenario(actor: Actor, scenario: str | Path, *, objective: str = "net-value",
                  progress: Progress | None = None) -> SolvedPlan:
    """Solve the planner's LP for `scenario` (a shipped name or a folder) and summarise the plan; nothing is kept."""
    authorize(actor, "energy.plan")
    say = progress or (lambda _m: None)
    say("loading scenario")
    s = load_scenario(scenario)
    say(f"building the LP ({len(s.zones)} zones x {len(s.grid.hours):,} h)")
    model = planner.build(s, objective)
    say(f"solving with HiGHS ({model.num_col:,} columns, {model.num_row:,} rows)")
    x, obj, seconds = planner.solve(model)
    r = planner.write_back(s, model, x, objective, obj, seconds)
    return SolvedPlan(s, r, summarise(s, r), chart_data(r))


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
                            inputs_json=json.dumps(PlanEconomics.of(s).to_json()))
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


COMPARED = (("mining_mw_installed", "Mining installed", "MW"), ("ai_mw_installed", "AI data centres installed", "MW"),
            ("mining_mwh_per_year", "Mining energy a year", "MWh"),
            ("expected_btc_per_year", "Expected BTC a year", "BTC"),
            ("expected_btc_per_year_after_self_dilution", "Expected BTC a year once difficulty absorbs the fleet",
             "BTC"),
            ("btc_price_usd", "BTC price assumed", "USD per BTC"),
            ("net_value_at_merit_order_usd_per_year", "Net value at the merit order", "USD a year"),
            ("lp_objective_usd_per_year", "Planner's objective value", "USD a year"))


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
