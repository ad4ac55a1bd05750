"""The IMF question: is a miners' tariff a subsidy? Each option against marginal, average and full cost.

Hour by hour, the plan's new load is served by walking up the merit order from demand (energy/merit_order.py):
the mining MWh of an hour cost the area under the supply stack over the MW they add, which may span several
plants. Where that cost exceeds what the tariff pays for those MWh, others pay the difference: summed over the
hours mined, the implicit subsidy. Where the tariff pays more than the fuel burnt, the excess contributes to
capacity payments. In total, the tariff is also set against the average power purchase cost (PKR 26.34/kWh,
NEPRA FY2026) and the cost of service (PKR 34.01/kWh), which include those capacity payments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# An hour's gap below this share of its cost is float noise from the stack's integral, not a subsidy.
_NOISE = 1e-9


@dataclass(frozen=True)
class TariffVerdict:
    """One tariff option against the plan's hourly load: the subsidy at the margin, shortfalls, the verdict."""

    name: str
    pkr_per_kwh: float
    energy_mwh: float
    subsidy_vs_marginal_pkr: float
    hours_below_marginal: int  # hours mined with the marginal plant (serving the last added MW) above the tariff
    hours_subsidised: int  # hours mined whose MWh cost more along the merit order than the tariff pays
    shortfall_vs_average_cost_pkr: float
    shortfall_vs_cost_of_service_pkr: float
    capacity_contribution_pkr: float
    subsidy_vs_marginal_usd: float
    verdict: str


def assess_tariff(name: str, pkr_per_kwh: float, load_mw: np.ndarray, cost_pkr: np.ndarray,
                  marginal_pkr_kwh: np.ndarray, *, average_cost_pkr_kwh: float, cost_of_service_pkr_kwh: float,
                  usd_pkr: float, year_fraction: float = 1.0) -> TariffVerdict:
    """Assess one tariff on an hourly load (MW = MWh per hour) whose energy costs `cost_pkr` each hour
    along the merit order, the hour's marginal plant costing `marginal_pkr_kwh`; scaled to a year."""
    kwh = np.asarray(load_mw, dtype=np.float64) * 1000.0
    cost = np.asarray(cost_pkr, dtype=np.float64)
    paid = pkr_per_kwh * kwh
    gap = cost - paid  # > 0: the hour's MWh cost more than the tariff pays
    gap = np.where(np.abs(gap) <= _NOISE * (cost + paid), 0.0, gap)
    per_year = 1.0 / year_fraction
    subsidy = float(np.clip(gap, 0, None).sum()) * per_year
    contribution = float(np.clip(-gap, 0, None).sum()) * per_year
    energy = float(kwh.sum()) / 1000.0 * per_year
    mined = kwh > 0
    below = int((mined & (np.asarray(marginal_pkr_kwh) > pkr_per_kwh)).sum())
    subsidised = int((mined & (gap > 0)).sum())
    short_avg = max(0.0, average_cost_pkr_kwh - pkr_per_kwh) * energy * 1000.0
    short_cos = max(0.0, cost_of_service_pkr_kwh - pkr_per_kwh) * energy * 1000.0
    if subsidy > 0:
        verdict = (f"subsidy: the MWh mined cost more along the merit order than the tariff pays in "
                   f"{subsidised:,} hours (the marginal plant is dearer than the tariff in {below:,}), "
                   f"PKR {subsidy / 1e9:,.2f} bn a year paid by other consumers")
    elif pkr_per_kwh < average_cost_pkr_kwh:
        verdict = (f"no subsidy at the margin (pays the fuel of the MWh mined every hour, along the merit order) but "
                   f"below the average purchase cost PKR {average_cost_pkr_kwh}/kWh: a preferential tariff the IMF "
                   f"may still object to")
    elif pkr_per_kwh < cost_of_service_pkr_kwh:
        verdict = (f"no subsidy: pays the fuel of the MWh mined every hour and the average purchase cost; below the "
                   f"full cost of service PKR {cost_of_service_pkr_kwh}/kWh")
    else:
        verdict = "no subsidy: at or above the full cost of service"
    return TariffVerdict(name, pkr_per_kwh, energy, subsidy, below, subsidised, short_avg, short_cos,
                            contribution, subsidy / usd_pkr, verdict)
