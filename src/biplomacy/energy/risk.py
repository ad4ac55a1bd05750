"""Use case: the Monte Carlo risk of a plan's mining fleet, as a report with its sources and assumptions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.provenance import load_registry
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.plan_inputs import PlanEconomics
from biplomacy.energy.model.risk import (
    Fleet,
    Progress,
    RiskResult,
    RiskSettings,
    chunks,
    combine,
    simulate,
    simulate_chunk,
    validate,
)
from biplomacy.energy.model.tariffs import DailyCosts
from biplomacy.energy.results import RiskReport
from biplomacy.house.cluster import IN_PROCESS, Engine, connect, run_chunks

if TYPE_CHECKING:
    from biplomacy.energy.model.scenario import Scenario, Tariff
    from biplomacy.energy.results import StoredPlan
    from biplomacy.store.db import Store

MODEL_ASSUMPTIONS = (
    "BTC price: geometric Brownian motion (daily steps) with the scenario's drift and volatility",
    "difficulty of the rest of the network: lognormal growth, continuous rather than every 2,016 blocks; tied to "
    "hashprice when [network] difficulty_hashprice_elasticity > 0",
    "fees per block: mean-reverting (Ornstein-Uhlenbeck on log fees)",
    "daily shocks of price, difficulty and fees correlated through a Cholesky factor",
    "self-dilution only while the fleet runs: the difficulty carries its hashrate averaged over the last 14 days "
    "(a retarget window), counting only the days it ran",
    "144 blocks a day; the subsidy halves at block 1,050,000",
    "the fleet is the plan's: each day it would draw the MWh and hash the TH-hours of the same day of the plan's year; "
    "it is switched off on days whose revenue would not pay that energy at the tariff",
    "BTC a year: BTC mined over the horizon / its years",
    "NPV: capex paid on day 0, daily net cash discounted continuously, no residual value of the machines",
)


@dataclass(frozen=True)
class PlannedMining:
    """What a plan installs and runs: per zone, installed mining MW and the MWh mined over the plan's hours."""

    source: str  # how the plan was had, for the report: "stored plan 3 (name)" or "solved from the scenario"
    installed_mw: dict[str, float]
    mwh: dict[str, float]
    hours: int
    stored: bool = False  # a stored plan (--plan), not the scenario planned on the spot


DEFAULT_SCENARIO = "pakistan-2025"


def run_risk(scenario: str | Path | None = None, *, paths: int | None = None, years: float | None = None,
             seed: int | None = None, price_shock: float = 0.0, tariff: str | None = None,
             energy_price_usd_mwh: float | None = None, plan: str | None = None, store: Store | None = None,
             prefer_stored: bool = False, difficulty_follows_hashprice: float | None = None,
             progress: Progress | None = None, engine: Engine = IN_PROCESS) -> RiskReport:
    """Take a plan's mining fleet and run the Monte Carlo on it.

    `plan` names a stored plan (id or name, read from `store`): the Monte Carlo then reads the fleet, zones'
    PUE, tariffs, network and supply costs the plan was made with, as stored with it (`stored_plan`); `scenario`,
    when given, must be the plan's. Without `plan` the scenario (shipped name or folder; pakistan-2025 when None)
    is planned here (the planner's policy plan, not stored), unless `prefer_stored` is set and `store` holds a plan
    of this very scenario: then the newest such plan is used (what the portal does, so a page does not re-solve the
    LP an analyst already solved and stored). `paths`, `years` and `seed` default to the scenario's [risk] table,
    the settings of the plan's headline, so the same fleet gives the same figures here as on the plan.
    `energy_price_usd_mwh` replaces the tariff's price (a what-if); the report then names no tariff and carries no
    subsidy range. `difficulty_follows_hashprice` overrides [network] difficulty_hashprice_elasticity. The fan
    chart's file is the edge's to write (energy/risk_files.py).
    """
    from biplomacy.energy.model.scenario import load_scenario

    probe = RiskSettings(paths=paths or 1, years=years or 1.0, seed=seed or 0, price_shock=price_shock)
    validate(Fleet(1.0, 0.0, 0.0, 0.0), probe)  # bad settings are refused before the scenario is read
    if energy_price_usd_mwh is not None and not (energy_price_usd_mwh >= 0 and tariff is None):
        raise InputError("must be zero or more, and not given together with --tariff", field="energy_price_usd_mwh")
    extra: list[str] = []
    stored_id: int | None = None
    if plan is not None:
        planned, econ, extra, stored_id = stored_plan(store, plan, scenario)
    else:
        sc = load_scenario(scenario if scenario is not None else DEFAULT_SCENARIO)
        choose_tariff(sc, tariff)  # an unknown option is refused before the scenario is planned
        latest = latest_plan(sc, store) if prefer_stored else None
        if latest is not None:
            planned, econ, extra, stored_id = stored_plan(store, str(latest.id), None)
        else:
            planned, econ = solved_plan_mining(sc)
    settings = RiskSettings(paths=paths if paths is not None else econ.risk.paths,
                            years=years if years is not None else econ.risk.years,
                            seed=seed if seed is not None else econ.risk.seed, price_shock=price_shock)
    network = econ.network
    if difficulty_follows_hashprice is not None:
        network = network.with_changes(difficulty_hashprice_elasticity=difficulty_follows_hashprice)
    chosen_tariff = choose_tariff(econ, tariff)
    fleet, keys, notes = fleet_from_plan(econ, planned, chosen_tariff)
    chosen: str | None = chosen_tariff.name
    costs = econ.daily_costs.get(chosen_tariff.name)
    if energy_price_usd_mwh is not None:
        fleet = replace(fleet, energy_price_usd_mwh=energy_price_usd_mwh)
        notes = [f"energy price: USD {energy_price_usd_mwh:,.2f}/MWh given on the command line (what-if, no tariff)",
                 *notes[1:]]
        chosen, costs = None, None
    if costs is not None and fleet.profile is not None and len(costs.kwh) != fleet.profile.days:
        costs = None
    report = risk_report(network, fleet, settings, label=econ.name, source_keys=keys,
                         assumptions=[*notes, *extra], progress=progress, costs=costs,
                         capacity_pkr_kwh=econ.supply_cost.capacity_pkr_kwh, engine=engine)
    return replace(report, tariff=chosen, stored_plan=stored_id)


def choose_tariff(sc: Scenario | PlanEconomics, tariff: str | None) -> Tariff:
    """The named tariff option of the scenario, or its first."""
    if tariff is None:
        return sc.tariffs[0]
    for t in sc.tariffs:
        if t.name == tariff:
            return t
    raise NotFound(f"{tariff!r} is not an option of {sc.name} ({', '.join(t.name for t in sc.tariffs)})",
                   field="tariff")


def stored_plan(store: Store | None, ref: str,
                scenario: str | Path | None) -> tuple[PlannedMining, PlanEconomics, list[str], int]:
    """A stored plan's mining and the scenario figures to simulate it with, and notes for the report.

    A plan stored with its inputs (0008_energy_plan_inputs) is simulated with them, whatever its scenario's files
    say now. A plan stored before is read against the scenario's files, refused unless they are the very inputs
    it was made from (checksum); without `scenario` its scenario is looked up by name among the shipped ones.
    A `scenario` of another name than the plan's is refused either way.
    """
    from biplomacy.energy.model.scenario import load_scenario
    from biplomacy.energy.plan import get_plan_with_inputs, inputs_digest

    if store is None:
        raise InputError("reading a stored plan needs the database", field="plan")
    p, kept = get_plan_with_inputs(store, ref)
    label = f"plan {p.id} ({p.name})"
    sc = load_scenario(scenario) if scenario is not None else None
    if sc is not None and p.scenario != sc.name:
        raise InputError(f"{label} is of scenario {p.scenario!r}, not {sc.name!r}; "
                         f"pass --scenario with the scenario it was made from, or leave --scenario out", field="plan")
    if kept is not None:
        notes = []
        if sc is not None and p.inputs_sha256 != inputs_digest(sc)[0]:
            notes.append(f"{sc.folder} changed since {label} was stored (scenario.toml or grid.csv); the fleet, "
                         "tariffs and network were read from the inputs stored with the plan")
        return plan_mining(p), PlanEconomics.from_json(kept, label), notes, p.id
    if sc is None:
        try:
            sc = load_scenario(p.scenario)
        except InputError:
            raise InputError(f"{label} was stored before plans kept their inputs; pass --scenario with the "
                             f"folder of scenario {p.scenario!r} it was made from", field="plan") from None
    if p.inputs_sha256 != inputs_digest(sc)[0]:
        raise InputError(f"{label} was made from other inputs than {sc.folder} (scenario.toml or grid.csv "
                         "changed since) and was stored before plans kept their inputs; plan again or pass the "
                         "folder it was made from", field="plan")
    return plan_mining(p), PlanEconomics.of(sc), [], p.id


def plan_mining(p: StoredPlan) -> PlannedMining:
    """The mining of a stored plan."""
    zones = p.summary.zones
    return PlannedMining(f"stored plan {p.id} ({p.name}, {p.objective})", {z.zone: float(z.mining_mw) for z in zones},
                         {z.zone: float(z.mining_mwh) for z in zones}, int(p.summary.hours), stored=True)


def latest_plan(sc: Scenario, store: Store | None) -> StoredPlan | None:
    """The newest stored plan made from this very scenario (name and inputs), or None."""
    from biplomacy.energy.plan import inputs_digest, latest_plan_of

    if store is None:
        return None
    return latest_plan_of(store, sc.name, inputs_digest(sc)[0])


def solved_plan_mining(sc: Scenario) -> tuple[PlannedMining, PlanEconomics]:
    """Plan the scenario now (the policy plan, net-value objective; nothing stored). The same inputs are solved once
    a process."""
    from biplomacy.energy.plan import inputs_digest

    return _solve(str(sc.folder.resolve()), inputs_digest(sc)[0])


@lru_cache(maxsize=8)
def _solve(folder: str, digest: str) -> tuple[PlannedMining, PlanEconomics]:  # digest: a changed file is a new key
    from biplomacy.energy.model import planner, planner_benders
    from biplomacy.energy.model.scenario import load_scenario
    from biplomacy.energy.plan import default_sizing, plan_economics

    sc = load_scenario(folder)
    sizing = default_sizing(sc)
    model = planner.build(sc, "net-value", sizing=sizing)
    how = planner_benders.chosen("auto", model)  # the method `energy plan` picks by default: both plan one fleet
    x, obj, seconds = planner_benders.solve_by(how)(model, None)
    r = planner.write_back(sc, model, x, "net-value", obj, seconds, sizing, how)
    return (PlannedMining(f"solved from the scenario (net-value objective, {sizing} sizing, not stored)",
                          {z: float(r.mining_mw_installed[i]) for i, z in enumerate(r.zones)},
                          {z: float(r.mining_mw[i].sum()) for i, z in enumerate(r.zones)}, len(r.hours)),
            plan_economics(sc, r))


def fleet_from_plan(sc: Scenario | PlanEconomics, planned: PlannedMining,
                    tariff: Tariff) -> tuple[Fleet, list[str], list[str]]:
    """The Monte Carlo's fleet: the plan's installed mining MW running its hourly energy, at the tariff.

    * Power: the plan's installed mining MW, M. Energy: the MWh the plan mines over its hours, scaled to a
      year, E; the fleet's uptime is E / (M x 8,760 h), so the daily energy bill is E / 365 at the tariff.
    * Hashrate-hours: each zone's MWh at the fleet's J/TH and the zone's PUE (TH/s per MW = 10^6 / (J/TH x
      PUE)). Heat derating is already in the plan: its hourly MW stop at the derated capacity of each zone
      (3 %/degC above the ASICs' limit), and a derated machine draws and hashes less alike. The fleet's
      hashrate while running is M times the plan's average TH/s per MW, so uptime x hashrate gives the
      plan's hash-hours.
    * Capex: the installed MW at each zone's PUE, at the fleet's share-weighted price per TH/s.
    * Energy price: the chosen tariff option, converted at the scenario's USD/PKR rate.
    """
    reg = load_registry()
    ec = sc if isinstance(sc, PlanEconomics) else PlanEconomics.of(sc)
    pue = ec.zone_pue
    unknown = sorted(set(planned.installed_mw) - set(pue))
    if unknown:
        raise InputError(f"zones {unknown} of the plan are not in scenario {ec.name}", field="plan")
    installed = sum(planned.installed_mw.values())
    year = planned.hours / 8760.0
    mwh_year = sum(planned.mwh.values()) / year
    if installed <= 1e-9 or mwh_year <= 1e-9:
        raise InputError(f"the plan ({planned.source}) mines nothing: {installed:,.1f} MW installed, "
                         f"{mwh_year:,.0f} MWh a year; nothing to simulate",
                         field="plan" if planned.stored else "scenario")
    th_hours = sum(mwh / year * 1e6 / (ec.fleet_j_per_th * pue[z]) for z, mwh in planned.mwh.items())
    uptime = min(1.0, mwh_year / (installed * 8760.0))
    th_running = installed * th_hours / mwh_year  # TH/s at the full installed MW, the plan's zone mix
    th_nameplate = sum(mw * 1e6 / (ec.fleet_j_per_th * pue[z]) for z, mw in planned.installed_mw.items())
    capex = th_nameplate * ec.fleet_usd_per_th
    fleet = Fleet(hashrate_hs=th_running * 1e12, power_mw=installed,
                  energy_price_usd_mwh=tariff.pkr_per_kwh * 1000.0 / ec.usd_pkr, capex_usd=capex, uptime=uptime,
                  profile=ec.profile)
    notes = [
        f"energy price: tariff {tariff.name!r} PKR {tariff.pkr_per_kwh:g}/kWh at {ec.usd_pkr:g} PKR/USD = "
        f"USD {fleet.energy_price_usd_mwh:,.2f}/MWh",
        f"the plan: {planned.source}: {installed:,.0f} MW of mining installed, {mwh_year / 1e6:,.2f} TWh a year "
        f"(uptime {uptime:.1%} of installed MW-hours, heat derating and surplus hours included)",
        f"fleet: {ec.fleet_j_per_th:.2f} J/TH, {th_running * uptime / 1e6:,.1f} EH/s on average "
        f"({th_running / 1e6:,.1f} EH/s while running), capex USD {capex / 1e6:,.0f} m",
        "daily profile: the plan's own MWh and TH-hours day by day" if ec.profile is not None else
        "daily profile: none stored with this plan (stored before the fleet model): its MWh spread evenly over the year",
    ]
    keys = [*ec.source_keys, "energy.mining.derating_per_c"]
    return fleet, [k for k in keys if k in reg.facts], notes


def risk_report(network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings, *, label: str,
                source_keys: list[str], assumptions: list[str], progress: Progress | None = None,
                costs: DailyCosts | None = None, capacity_pkr_kwh: float = 0.0,
                engine: Engine = IN_PROCESS) -> RiskReport:
    """Simulate, then report the result with the model's assumptions and the sources of its figures."""
    result = simulate_on(engine, network, fleet, settings, progress, costs=costs, capacity_pkr_kwh=capacity_pkr_kwh)
    keys = list(dict.fromkeys([*NetworkAssumptions.source_keys(), *source_keys]))
    return RiskReport(
        scenario=label, paths=result.paths, days=result.days, years=settings.years, seed=result.seed,
        price_shock=settings.price_shock, btc_mined=result.btc_mined, revenue_usd=result.revenue_usd,
        npv_usd=result.npv_usd, energy_cost_usd=result.energy_cost_usd,
        probability_of_loss=result.probability_of_loss, share_of_days_mining=result.share_of_days_mining,
        fleet=replace(fleet, profile=None), network=network, bands=result.bands,
        assumptions=(*MODEL_ASSUMPTIONS, *assumptions), sources=tuple(load_registry().cited(keys)),
        btc_per_year=result.btc_per_year, costs=result.costs)


def simulate_on(engine: Engine, network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings,
                progress: Progress | None = None, costs: DailyCosts | None = None,
                capacity_pkr_kwh: float = 0.0) -> RiskResult:
    """The Monte Carlo in this process, or its chunks on the engine's Dask cluster combined here: the chunks and
    their seeds are the same either way (model/risk.py), so the figures are too."""
    if engine.in_process:
        return simulate(network, fleet, settings, progress, costs=costs, capacity_pkr_kwh=capacity_pkr_kwh)
    validate(fleet, settings)  # bad inputs are refused before a cluster is started
    run = partial(simulate_chunk, network, fleet, settings, costs=costs)
    with connect(engine) as client:
        parts = run_chunks(client, run, chunks(settings), job="energy risk", progress=progress)
    return combine(parts, settings, costs, capacity_pkr_kwh)


def fan_chart_for(report: RiskReport) -> dict[str, Any]:
    """The fan chart spec of a report (the portal draws it; `energy risk --chart` writes it)."""
    from biplomacy.energy.charts_risk import fan_chart_spec

    return fan_chart_spec(report.bands, report.title)
