"""The IMF question: is a miners' tariff a subsidy? Each option against the full cost of the kWh it sells.

Hour by hour, the fleet's load is served by walking up the merit order from demand (energy/model/merit_order.py),
the AI's firm load first and the mining on top, both grossed up for the transmission losses to the 132/220 kV zone:
generating E/(1 - loss) delivers E. What a delivered kWh costs the system in that hour (the short-run cost) is the
fuel of the plants that serve it (the integral of the stack), plus their variable O&M, both over (1 - loss), plus
the network and system charges (NTDC's use of system and the market operator's fee). Where the rate pays less than
that, the gap is a subsidy other consumers pay; where it pays more, the excess contributes to capacity payments.

Beyond the short run, every other consumer pays a debt service surcharge per kWh and industrial consumers a fixed
charge per kW of sanctioned load, and every bill carries GST. An option's `levies` say which of these the miner
pays on top of its rate; each one it does not pay is counted: the surcharge and the fixed charge as costs others
carry, GST as a tax expenditure. The verdict's subsidy is the short-run gap plus those. Capacity payments are shown
both ways: what the rate contributes above the short-run cost, and what a consumer paying the average capacity
charge per kWh would bear that the miners leave to others. The average purchase price and the cost of service are
shown as benchmarks.

Everything is computed per day of the plan's year as well (`DailyCosts`), so the Monte Carlo can add up, path by
path, the days the fleet actually runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biplomacy.energy.model.grid_csv import Grid
from biplomacy.energy.model.merit_order import price_added_load
from biplomacy.energy.model.scenario import SupplyCost, Tariff

# An hour's gap below this share of its cost is float noise from the stack's integral, not a subsidy.
_NOISE = 1e-9


@dataclass(frozen=True)
class ShortRunCost:
    """The fleet's hourly load and what serving it costs the system that hour (PKR), delivered at the zones."""

    load_mw: np.ndarray  # delivered MW (= MWh in the hour)
    cost_pkr: np.ndarray  # fuel and variable O&M of the plants serving it, over (1 - loss), plus network charges
    marginal_cost_pkr_kwh: np.ndarray  # fuel of the plant serving the last generated MW
    hours_margin_moved: int

    @property
    def kwh(self) -> np.ndarray:
        return self.load_mw * 1000.0

    def average_pkr_kwh(self) -> float | None:
        kwh = float(self.kwh.sum())
        return float(self.cost_pkr.sum()) / kwh if kwh > 0 else None


def short_run_cost(grid: Grid, mining_mw: np.ndarray, ai_mw: np.ndarray | float, supply: SupplyCost) -> ShortRunCost:
    """Price the fleet's delivered hourly load (MW) along the merit order, grossed up for losses (see module)."""
    keep = 1.0 - supply.transmission_loss_share
    load = np.clip(np.asarray(mining_mw, dtype=np.float64), 0.0, None)
    ai = np.clip(np.broadcast_to(np.asarray(ai_mw, dtype=np.float64), load.shape), 0.0, None)
    priced = price_added_load(grid, load / keep, ai / keep)
    kwh_generated = load / keep * 1000.0
    cost = priced.mining_cost_pkr + supply.variable_om_pkr_kwh * kwh_generated + supply.network_system_pkr_kwh * load * 1000.0
    return ShortRunCost(load, cost, priced.marginal_cost_pkr_kwh, int(priced.margin_moved.sum()))


@dataclass(frozen=True)
class DailyCosts:
    """One tariff option's money per day of the plan's year, on the days the fleet runs (PKR)."""

    subsidy_pkr: np.ndarray  # short-run gap + the surcharge and GST it does not pay (per kWh, so per day)
    contribution_pkr: np.ndarray  # what the rate pays above the short-run cost
    kwh: np.ndarray
    fixed_unpaid_pkr_per_year: float  # the fixed charge it does not pay: per sanctioned kW, run or not


@dataclass(frozen=True)
class TariffVerdict:
    """One tariff option against the fleet's hours, on a stated basis (static or risk-adjusted), with its range.

    `basis` says which hours are priced: "static" (the scenario's hashprice: the plan's hours if it pays the tariff,
    else none) or the Monte Carlo's. The *_p5/p50/p95 figures are the risk-adjusted range of `subsidy_pkr` a year
    over the Monte Carlo's paths (None until it ran). Plans stored by older versions lack the newer fields (None).
    """

    name: str
    pkr_per_kwh: float
    energy_mwh: float
    subsidy_vs_marginal_pkr: float  # the short-run gap: hours whose delivered kWh cost more than the rate
    hours_below_marginal: int
    hours_subsidised: int
    shortfall_vs_average_cost_pkr: float
    shortfall_vs_cost_of_service_pkr: float
    capacity_contribution_pkr: float
    subsidy_vs_marginal_usd: float
    verdict: str
    basis: str | None = None
    runs: bool | None = None  # static basis: does the scenario's hashprice pay the tariff?
    levies: tuple[str, ...] | None = None
    short_run_cost_pkr_kwh: float | None = None
    unpaid_debt_service_surcharge_pkr: float | None = None
    unpaid_fixed_charge_pkr: float | None = None
    forgone_gst_pkr: float | None = None
    subsidy_pkr: float | None = None  # the verdict's figure: short-run gap + unpaid surcharge + fixed + GST
    subsidy_usd: float | None = None
    capacity_carried_by_others_pkr: float | None = None
    subsidy_pkr_p5: float | None = None
    subsidy_pkr_p50: float | None = None
    subsidy_pkr_p95: float | None = None
    subsidy_usd_p50: float | None = None
    capacity_contribution_pkr_p50: float | None = None
    energy_mwh_p50: float | None = None


def daily_costs(tariff: Tariff, src: ShortRunCost, day: np.ndarray, days: int, installed_mw: float,
                supply: SupplyCost) -> DailyCosts:
    """Per day of the plan: the subsidy and the contribution of `tariff` if the fleet runs that day."""
    gap = _gap(tariff, src)
    per_kwh = _unpaid_per_kwh(tariff, supply)
    kwh = np.bincount(day, weights=src.kwh, minlength=days)
    return DailyCosts(np.bincount(day, weights=np.clip(gap, 0, None), minlength=days) + per_kwh * kwh,
                      np.bincount(day, weights=np.clip(-gap, 0, None), minlength=days), kwh,
                      _fixed_unpaid(tariff, installed_mw, supply))


def assess_tariff(tariff: Tariff, src: ShortRunCost, *, runs: bool, installed_mw: float, supply: SupplyCost,
                  usd_pkr: float, year_fraction: float = 1.0, basis: str = "static") -> TariffVerdict:
    """The static verdict: the plan's hours if the fleet runs at this tariff, else none; scaled to a year."""
    on = 1.0 if runs else 0.0
    per_year = on / year_fraction
    gap = _gap(tariff, src)
    kwh = float(src.kwh.sum()) * per_year
    sr_gap = float(np.clip(gap, 0, None).sum()) * per_year
    contribution = float(np.clip(-gap, 0, None).sum()) * per_year
    mined = (src.kwh > 0) & runs
    below = int((mined & (src.marginal_cost_pkr_kwh > tariff.pkr_per_kwh)).sum())
    subsidised = int((mined & (gap > 0)).sum())
    dss = 0.0 if "debt_service_surcharge" in tariff.levies else supply.debt_service_surcharge_pkr_kwh * kwh
    gst = 0.0 if "gst" in tariff.levies else supply.gst_share * tariff.pkr_per_kwh * kwh
    fixed = _fixed_unpaid(tariff, installed_mw, supply)
    total = sr_gap + dss + gst + fixed
    carried = max(0.0, supply.capacity_pkr_kwh * kwh - contribution)
    short_avg = max(0.0, supply.average_cost_pkr_kwh - tariff.pkr_per_kwh) * kwh
    short_cos = max(0.0, supply.cost_of_service_pkr_kwh - tariff.pkr_per_kwh) * kwh
    avg_cost = src.average_pkr_kwh()
    return TariffVerdict(
        tariff.name, tariff.pkr_per_kwh, kwh / 1000.0, sr_gap, below, subsidised, short_avg, short_cos, contribution,
        sr_gap / usd_pkr, _verdict(tariff, runs, sr_gap, subsidised, dss, gst, fixed, total, supply, usd_pkr),
        basis, runs, tariff.levies, round(avg_cost, 4) if avg_cost is not None else None, dss, fixed, gst, total,
        total / usd_pkr, carried)


def _gap(tariff: Tariff, src: ShortRunCost) -> np.ndarray:
    paid = tariff.pkr_per_kwh * src.kwh
    gap = src.cost_pkr - paid  # > 0: the hour's delivered kWh cost more than the rate pays
    return np.where(np.abs(gap) <= _NOISE * (src.cost_pkr + paid), 0.0, gap)


def _unpaid_per_kwh(tariff: Tariff, supply: SupplyCost) -> float:
    dss = 0.0 if "debt_service_surcharge" in tariff.levies else supply.debt_service_surcharge_pkr_kwh
    gst = 0.0 if "gst" in tariff.levies else supply.gst_share * tariff.pkr_per_kwh
    return dss + gst


def _fixed_unpaid(tariff: Tariff, installed_mw: float, supply: SupplyCost) -> float:
    if "fixed_charge" in tariff.levies:
        return 0.0
    return supply.fixed_charge_pkr_kw_month * installed_mw * 1000.0 * 12.0


def _verdict(tariff: Tariff, runs: bool, sr_gap: float, subsidised: int, dss: float, gst: float, fixed: float,
             total: float, supply: SupplyCost, usd_pkr: float) -> str:
    if not runs:
        head = "the fleet does not run at this tariff (the scenario's hashprice does not pay it)"
        return head + (f"; the fixed charge it does not pay is PKR {fixed / 1e9:,.2f} bn a year" if fixed > 0 else "")
    if total <= 0:
        if tariff.pkr_per_kwh < supply.average_cost_pkr_kwh:
            return (f"no subsidy: pays the short-run cost of every kWh and its levies, but below the average purchase "
                    f"price PKR {supply.average_cost_pkr_kwh}/kWh (a preferential tariff the IMF may still object to)")
        return "no subsidy: pays the short-run cost of every kWh, its levies and at least the average purchase price"
    parts = []
    if sr_gap > 0:
        parts.append(f"short-run gap PKR {sr_gap / 1e9:,.2f} bn in {subsidised:,} hours")
    for label, value in (("unpaid debt service surcharge", dss), ("unpaid fixed charge", fixed),
                         ("forgone GST", gst)):
        if value > 0:
            parts.append(f"{label} PKR {value / 1e9:,.2f} bn")
    return (f"subsidy: PKR {total / 1e9:,.2f} bn (USD {total / usd_pkr / 1e6:,.1f} m) a year paid by other consumers "
            f"and the budget ({'; '.join(parts)})")
