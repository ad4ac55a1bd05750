"""Grid strain of a plan: how much of the surplus it uses, load at the system peak, non-surplus supply, curtailment.

The mining load is the fleet's: `run_weight` (per hour, 0..1) says how much of the plan's hourly mining the
economics let run: 1 everywhere on the static basis when the scenario's hashprice pays the tariff (0 when it does
not), and the Monte Carlo's share of paths running that day on the risk-adjusted basis. The AI's firm load always
runs. Curtailment counts the hours the grid (surplus, ramps) holds a zone below its derated capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PEAK_SHARE = 0.01  # the top 1 % of demand hours (88 h of a year) count as the system peak


@dataclass(frozen=True)
class Strain:
    share_of_surplus_used: float
    peak_hours: int
    peak_hours_with_added_load: int  # AI or mining load in the peak hour (the AI's firm load always runs)
    non_surplus_mwh: float
    non_surplus_max_mw: float
    curtailment_hours_by_zone: dict[str, int]
    basis: str | None = None  # "static" or "risk-adjusted" (None: stored by an older version)
    mining_mwh: float | None = None  # the mining MWh over the plan's hours on this basis
    peak_hours_with_mining: float | None = None  # expected on the risk-adjusted basis


def grid_strain(zones: tuple[str, ...], mining_mw: np.ndarray, installed_mw: np.ndarray, derate: np.ndarray,
                ai_load_mw: float, non_surplus_mw: np.ndarray, surplus_mw: np.ndarray,
                demand_mw: np.ndarray, run_weight: np.ndarray | float = 1.0, basis: str = "static") -> Strain:
    weight = np.broadcast_to(np.asarray(run_weight, dtype=np.float64), demand_mw.shape)
    mining = mining_mw.sum(axis=0) * weight
    total = mining + ai_load_mw
    from_surplus = total - non_surplus_mw
    used = float(from_surplus.sum() / surplus_mw.sum()) if surplus_mw.sum() > 0 else 0.0
    n_peak = max(1, int(round(PEAK_SHARE * len(demand_mw))))
    peak = np.argsort(demand_mw)[-n_peak:]
    added = int((total[peak] > 1e-6).sum())
    with_mining = float(np.where(mining_mw.sum(axis=0)[peak] > 1e-6, weight[peak], 0.0).sum())
    available = installed_mw[:, None] * derate
    curtailed = {z: int(((installed_mw[i] > 1e-6) & (mining_mw[i] < available[i] - 1e-3)).sum())
                 for i, z in enumerate(zones)}
    return Strain(used, n_peak, added, float(non_surplus_mw.sum()), float(non_surplus_mw.max(initial=0.0)),
                  curtailed, basis, float(mining.sum()), round(with_mining, 3))
