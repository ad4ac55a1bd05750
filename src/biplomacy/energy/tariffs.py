"""The IMF question: is a miners' tariff a subsidy? Each option against marginal, average and full cost.

Hour by hour, a tariff below the short-run marginal cost (SRMC) of the marginal plant is paid for by others:
that gap, summed over the hours the plan mines, is the implicit subsidy. In total, the tariff is also set
against the average power purchase cost (PKR 26.34/kWh, NEPRA FY2026) and the cost of service (PKR 34.01/kWh):
what a tariff earns above SRMC contributes to capacity payments, which the average cost includes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TariffAssessment:
    name: str
    pkr_per_kwh: float
    energy_mwh: float
    subsidy_vs_marginal_pkr: float
    hours_below_marginal: int
    shortfall_vs_average_cost_pkr: float
    shortfall_vs_cost_of_service_pkr: float
    capacity_contribution_pkr: float
    subsidy_vs_marginal_usd: float
    verdict: str


def assess_tariff(name: str, pkr_per_kwh: float, load_mw: np.ndarray, marginal_pkr_kwh: np.ndarray, *,
                  average_cost_pkr_kwh: float, cost_of_service_pkr_kwh: float, usd_pkr: float,
                  year_fraction: float = 1.0) -> TariffAssessment:
    """Assess one tariff on an hourly load (MW = MWh per hour), scaled to a year by `year_fraction`."""
    kwh = load_mw * 1000.0
    gap = marginal_pkr_kwh - pkr_per_kwh  # > 0: the hour costs more than the tariff pays
    per_year = 1.0 / year_fraction
    subsidy = float((np.clip(gap, 0, None) * kwh).sum()) * per_year
    contribution = float((np.clip(-gap, 0, None) * kwh).sum()) * per_year
    energy = float(kwh.sum()) / 1000.0 * per_year
    below = int(((gap > 0) & (load_mw > 0)).sum())
    short_avg = max(0.0, average_cost_pkr_kwh - pkr_per_kwh) * energy * 1000.0
    short_cos = max(0.0, cost_of_service_pkr_kwh - pkr_per_kwh) * energy * 1000.0
    if subsidy > 0:
        verdict = (f"subsidy: below the marginal plant's fuel cost in {below:,} of the hours mined, "
                   f"PKR {subsidy / 1e9:,.2f} bn a year paid by other consumers")
    elif pkr_per_kwh < average_cost_pkr_kwh:
        verdict = (f"no subsidy at the margin (covers fuel every hour mined) but below the average purchase cost "
                   f"PKR {average_cost_pkr_kwh}/kWh: a preferential tariff the IMF may still object to")
    elif pkr_per_kwh < cost_of_service_pkr_kwh:
        verdict = (f"no subsidy: covers marginal and average purchase cost; below the full cost of service "
                   f"PKR {cost_of_service_pkr_kwh}/kWh")
    else:
        verdict = "no subsidy: at or above the full cost of service"
    return TariffAssessment(name, pkr_per_kwh, energy, subsidy, below, short_avg, short_cos, contribution,
                            subsidy / usd_pkr, verdict)
