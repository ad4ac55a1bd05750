"""Use case: the Monte Carlo risk of a scenario's mining fleet, as a report with its sources and assumptions."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from biplomacy.energy.economics import derating_fraction
from biplomacy.energy.network import NetworkAssumptions
from biplomacy.energy.risk import Fleet, Progress, RiskResult, RiskSettings, simulate, validate
from biplomacy.errors import InputError, NotFound
from biplomacy.provenance import load_registry

if TYPE_CHECKING:
    from biplomacy.energy.scenario import Scenario

MODEL_ASSUMPTIONS = (
    "BTC price: geometric Brownian motion (daily steps) with the scenario's drift and volatility",
    "difficulty of the rest of the network: lognormal growth, continuous rather than every 2,016 blocks",
    "fees per block: mean-reverting (Ornstein-Uhlenbeck on log fees)",
    "daily shocks of price, difficulty and fees correlated through a Cholesky factor",
    "self-dilution: from day 14 (the first retarget) the difficulty carries the fleet's own hashrate",
    "144 blocks a day; the subsidy halves at block 1,050,000",
    "the fleet is switched off on days whose revenue would not pay its energy",
    "NPV: capex paid on day 0, daily net cash discounted continuously, no residual value of the machines",
)


def run_risk(scenario: str | Path, *, paths: int = 10_000, years: float = 5.0, seed: int = 1,
             price_shock: float = 0.0, tariff: str | None = None, energy_price_usd_mwh: float | None = None,
             progress: Progress | None = None, chart: Path | None = None) -> dict[str, Any]:
    """Load a scenario (shipped name or folder), derive its mining fleet, and run the Monte Carlo on it.

    `energy_price_usd_mwh` replaces the tariff's price (e.g. the marginal cost of surplus power) for a
    what-if; the report then names no tariff.
    """
    from biplomacy.energy.scenario import load_scenario

    settings = RiskSettings(paths=paths, years=years, seed=seed, price_shock=price_shock)
    validate(Fleet(1.0, 0.0, 0.0, 0.0), settings)  # bad settings are refused before the scenario is read
    sc = load_scenario(scenario)
    if energy_price_usd_mwh is not None and not (energy_price_usd_mwh >= 0 and tariff is None):
        raise InputError("--energy-price-usd-mwh: must be zero or more, and not given together with --tariff",
                         field="--energy-price-usd-mwh")
    chosen: str | None
    chosen, fleet, keys, notes = fleet_from_scenario(sc, tariff)
    if energy_price_usd_mwh is not None:
        fleet = replace(fleet, energy_price_usd_mwh=energy_price_usd_mwh)
        notes = [f"energy price: USD {energy_price_usd_mwh:,.2f}/MWh given on the command line (what-if, no tariff)",
                 *notes[1:]]
        chosen = None
    doc = risk_report(sc.network, fleet, settings, label=sc.name, source_keys=keys, assumptions=notes,
                      progress=progress, chart=chart)
    doc["tariff"] = chosen
    return doc


def fleet_from_scenario(sc: Scenario, tariff: str | None = None) -> tuple[str, Fleet, list[str], list[str]]:
    """The fleet a scenario allows, with the registry keys and the simplifications it rests on.

    * Mining MW: the cap less the AI data centres' firm load (and no more than the zones' connection limits
      less that load). The risk run does not solve the planner's LP; it takes the most mining the scenario
      permits, which is what the cap is for.
    * Uptime: the fleet runs on surplus only; over the scenario's 8,760 hours its average use is
      mean(min(max(surplus - AI firm load, 0), mining MW)) / mining MW.
    * Efficiency and capex: the fleet's share-weighted J/TH and price per TH/s; PUE: the zones' mean
      weighted by connection limit; heat derating: the linear model of energy/economics.py averaged over
      zones (weighted by connection limit), months and ASIC models, applied to hashrate and power alike.
    * Energy price: the named tariff option (default: the scenario's first), converted at its USD/PKR rate.
    """
    reg = load_registry()
    if tariff is None:
        chosen = sc.tariffs[0]
    else:
        found = [t for t in sc.tariffs if t.name == tariff]
        if not found:
            raise NotFound(f"--tariff: {tariff!r} is not an option of {sc.name} "
                           f"({', '.join(t.name for t in sc.tariffs)})", field="--tariff")
        chosen = found[0]
    limits = np.array([z.connection_limit_mw for z in sc.zones])
    weights = limits / limits.sum() if limits.sum() > 0 else np.full(len(sc.zones), 1.0 / len(sc.zones))
    mining_mw = max(0.0, min(sc.cap_mw, float(limits.sum())) - sc.ai.firm_mw)
    if mining_mw <= 0:
        raise NotFound(f"scenario {sc.name} leaves no MW for mining (cap {sc.cap_mw:g} MW, AI firm "
                       f"{sc.ai.firm_mw:g} MW)", field="cap_mw")
    surplus_left = np.maximum(np.asarray(sc.surplus_mw, dtype=np.float64) - sc.ai.firm_mw, 0.0)
    uptime = float(np.mean(np.minimum(surplus_left, mining_mw)) / mining_mw)
    if uptime <= 0:
        raise NotFound(f"scenario {sc.name} has no surplus hour left for mining after the AI firm load",
                       field="grid.csv")
    pue = float(np.dot(weights, [z.pue for z in sc.zones]))
    per_c = reg.number("energy.mining.derating_per_c")
    derating = float(sum(w * a.share * np.mean([derating_fraction(t, a.ambient_limit_c, per_c)
                                                for t in z.ambient_monthly_c])
                         for w, z in zip(weights, sc.zones, strict=True) for a in sc.fleet))
    th_nameplate = mining_mw * 1e6 / pue / sc.fleet_j_per_th
    capex = th_nameplate * sum(a.price_usd_per_th * a.share for a in sc.fleet)
    fleet = Fleet(hashrate_hs=th_nameplate * 1e12 * derating, power_mw=mining_mw * derating,
                  energy_price_usd_mwh=chosen.pkr_per_kwh * 1000.0 / sc.usd_pkr, capex_usd=capex,
                  uptime=uptime)
    notes = [
        f"energy price: tariff {chosen.name!r} PKR {chosen.pkr_per_kwh:g}/kWh at {sc.usd_pkr:g} PKR/USD = "
        f"USD {fleet.energy_price_usd_mwh:,.2f}/MWh",
        f"mining MW: the cap {sc.cap_mw:,.0f} MW less the AI firm load {sc.ai.firm_mw:,.0f} MW = {mining_mw:,.0f} MW "
        "(the most the scenario allows; the planner's installed MW may be lower)",
        f"uptime on surplus hours: {uptime:.1%} of the time at full load (from the hourly grid profile)",
        f"fleet: {sc.fleet_j_per_th:.2f} J/TH, PUE {pue:.3f}, heat derating to {derating:.1%} of nameplate, "
        f"{th_nameplate * derating / 1e6:,.1f} EH/s, capex USD {capex / 1e6:,.0f} m",
    ]
    keys = [*sc.source_keys, "energy.mining.derating_per_c"]
    return chosen.name, fleet, [k for k in keys if k in reg.facts], notes


def risk_report(network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings, *, label: str,
                source_keys: list[str], assumptions: list[str], progress: Progress | None = None,
                chart: Path | None = None) -> dict[str, Any]:
    """Simulate, then shape the result for the CLI and the portal (and write the fan chart when asked)."""
    if chart is not None:
        from biplomacy.services.energy_charts_risk import check_chart_path

        check_chart_path(chart)
    result = simulate(network, fleet, settings, progress)
    reg = load_registry()
    keys = list(dict.fromkeys([*NetworkAssumptions.source_keys(), *source_keys]))
    doc: dict[str, Any] = {
        "scenario": label,
        "paths": result.paths, "days": result.days, "years": settings.years, "seed": result.seed,
        "price_shock": settings.price_shock,
        "btc_mined": _quantiles(result.btc_mined),
        "revenue_usd": _quantiles(result.revenue_usd),
        "npv_usd": _quantiles(result.npv_usd),
        "energy_cost_usd": _quantiles(result.energy_cost_usd),
        "probability_of_loss": result.probability_of_loss,
        "share_of_days_mining": result.share_of_days_mining,
        "fleet": asdict(fleet),
        "network": asdict(network),
        "bands": [asdict(b) for b in result.bands],
        "assumptions": [*MODEL_ASSUMPTIONS, *assumptions],
        "sources": reg.cited(keys),
    }
    if chart is not None:
        from biplomacy.services.energy_charts_risk import fan_chart_spec, write_chart

        doc["chart"] = str(write_chart(fan_chart_spec(result.bands, _title(label, result)), chart))
    return doc


def fan_chart_for(doc: dict[str, Any]) -> dict[str, Any]:
    """The fan chart spec of a report made by `risk_report` (the portal draws it from the report)."""
    from biplomacy.energy.risk import Band
    from biplomacy.services.energy_charts_risk import fan_chart_spec

    bands = [Band(b["day"], tuple(b["price_usd"]), tuple(b["cumulative_btc"]),  # type: ignore[arg-type]
                  tuple(b["cumulative_net_usd"])) for b in doc["bands"]]
    return fan_chart_spec(bands, f"{doc['scenario']}: {doc['paths']:,} paths x {doc['days']:,} days, seed {doc['seed']}")


def _title(label: str, r: RiskResult) -> str:
    return f"{label}: {r.paths:,} paths x {r.days:,} days, seed {r.seed}"


def _quantiles(s: Any) -> dict[str, float]:
    return {"p5": s.p5, "p50": s.p50, "p95": s.p95, "mean": s.mean}
