"""Use case: the Monte Carlo risk of a scenario's mining fleet, as a report with its sources and assumptions."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from biplomacy.energy.network import NetworkAssumptions
from biplomacy.energy.risk import Fleet, Progress, RiskResult, RiskSettings, simulate
from biplomacy.provenance import load_registry

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
