"""Grid strain of a plan: how much of the surplus it uses, load at the system peak, non-surplus supply, curtailment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PEAK_SHARE = 0.01  # the top 1 % of demand hours (88 h of a year) count as the system peak


@dataclass(frozen=True)
class Strain:
    share_of_surplus_used: float
    peak_hours: int
    peak_hours_with_added_load: int
    non_surplus_mwh: float
    non_surplus_max_mw: float
    curtailment_hours_by_zone: dict[str, int]


def grid_strain(zones: tuple[str, ...], mining_mw: np.ndarray, installed_mw: np.ndarray, derate: np.ndarray,
                ai_load_mw: float, non_surplus_mw: np.ndarray, surplus_mw: np.ndarray,
                demand_mw: np.ndarray) -> Strain:
    total = mining_mw.sum(axis=0) + ai_load_mw
    from_surplus = total - non_surplus_mw
    used = float(from_surplus.sum() / surplus_mw.sum()) if surplus_mw.sum() > 0 else 0.0
    n_peak = max(1, int(round(PEAK_SHARE * len(demand_mw))))
    peak = np.argsort(demand_mw)[-n_peak:]
    added = int((total[peak] > 1e-6).sum())
    available = installed_mw[:, None] * derate
    curtailed = {z: int(((installed_mw[i] > 1e-6) & (mining_mw[i] < available[i] - 1e-3)).sum())
                 for i, z in enumerate(zones)}
    return Strain(used, n_peak, added, float(non_surplus_mw.sum()), float(non_surplus_mw.max(initial=0.0)), curtailed)
