"""What new load costs the grid hour by hour: the integral of the merit-order curve over the MW it adds.

Each hour the sources are stacked cheapest first (their available MW, at their fuel cost); demand takes the
bottom of the stack. Load added on top of `base` MW is served by walking up the stack from `base`, so its
cost is the area under the stack's step curve between `base` and `base + added` (PKR = PKR/kWh x kWh), and
the marginal plant is the one serving the last added MW. Load beyond everything available is priced at the
dearest source, as `Grid.marginal_cost_pkr_kwh` does. The curve rises, so the cost is convex in the load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biplomacy.energy.model.grid_csv import Grid


@dataclass(frozen=True)
class MeritOrder:
    """The hourly supply stack: sources cheapest first, their cumulative MW (sources x hours) and costs."""

    sources: tuple[str, ...]
    cost_pkr_kwh: np.ndarray  # per source, ascending
    top_mw: np.ndarray  # sources x hours: the stack's height after each source

    @classmethod
    def of(cls, grid: Grid) -> MeritOrder:
        order = sorted(grid.available_mw, key=lambda s: grid.fuel_cost_pkr_kwh[s])
        avail = np.vstack([np.asarray(grid.available_mw[s], dtype=np.float64) for s in order])
        return cls(tuple(order), np.array([grid.fuel_cost_pkr_kwh[s] for s in order]), np.cumsum(avail, axis=0))

    def cost_pkr(self, base_mw: np.ndarray, added_mw: np.ndarray) -> np.ndarray:
        """Hourly PKR of serving `added_mw` (MW for one hour = MWh) on top of `base_mw`: the stack's integral."""
        lo = np.asarray(base_mw, dtype=np.float64)
        hi = lo + np.clip(np.asarray(added_mw, dtype=np.float64), 0.0, None)
        bottom = np.vstack([np.zeros_like(self.top_mw[:1]), self.top_mw[:-1]])
        served = np.clip(np.minimum(hi, self.top_mw) - np.maximum(lo, bottom), 0.0, None)  # MWh per source
        beyond = hi - np.maximum(lo, self.top_mw[-1])  # MWh above everything available
        mwh_cost = self.cost_pkr_kwh @ served + np.clip(beyond, 0.0, None) * self.cost_pkr_kwh[-1]
        return mwh_cost * 1000.0

    def marginal_index(self, base_mw: np.ndarray, added_mw: np.ndarray) -> np.ndarray:
        """Index (into `sources`) of the hour's marginal plant: the one serving the last added MW, or, where
        nothing is added, the one the next MW would come from."""
        lo = np.asarray(base_mw, dtype=np.float64)
        added = np.clip(np.asarray(added_mw, dtype=np.float64), 0.0, None)
        hi = lo + added
        bottom = np.vstack([np.zeros_like(self.top_mw[:1]), self.top_mw[:-1]])
        has_room = self.top_mw > bottom
        # the last MW lies in (bottom, top] of its source; with no added load the next MW lies in [bottom, top)
        inside = np.where(added > 0, (bottom < hi) & (hi <= self.top_mw), (bottom <= hi) & (hi < self.top_mw))
        hit = inside & has_room
        return np.where(hit.any(axis=0), hit.argmax(axis=0), len(self.sources) - 1)

    def marginal_cost_pkr_kwh(self, base_mw: np.ndarray, added_mw: np.ndarray) -> np.ndarray:
        return self.cost_pkr_kwh[self.marginal_index(base_mw, added_mw)]


@dataclass(frozen=True)
class AddedLoadCost:
    """A plan's new load priced along the merit order, hour by hour: the AI's firm load sits on demand and the
    mining load on top of it (mining is the interruptible load, so its MWh are the last ones served)."""

    added_mw: np.ndarray  # AI + mining
    ai_cost_pkr: np.ndarray
    mining_cost_pkr: np.ndarray
    marginal_source: tuple[str, ...]  # the plant serving the last added MW (the next MW where none is added)
    marginal_cost_pkr_kwh: np.ndarray
    margin_moved: np.ndarray  # bool: the added load moves the margin above the plant at demand alone


def price_added_load(grid: Grid, mining_mw: np.ndarray, ai_mw: np.ndarray | float) -> AddedLoadCost:
    """Price a plan's hourly mining and AI load (MW) on `grid`'s merit order."""
    stack = MeritOrder.of(grid)
    demand = np.asarray(grid.demand_mw, dtype=np.float64)
    mining = np.clip(np.asarray(mining_mw, dtype=np.float64), 0.0, None)
    ai = np.clip(np.broadcast_to(np.asarray(ai_mw, dtype=np.float64), demand.shape), 0.0, None)
    added = ai + mining
    idx = stack.marginal_index(demand, added)
    alone = stack.marginal_index(demand, np.zeros_like(demand))
    return AddedLoadCost(added, stack.cost_pkr(demand, ai), stack.cost_pkr(demand + ai, mining),
                         tuple(stack.sources[i] for i in idx), stack.cost_pkr_kwh[idx],
                         stack.cost_pkr_kwh[idx] > stack.cost_pkr_kwh[alone])
