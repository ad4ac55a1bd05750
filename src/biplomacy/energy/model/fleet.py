"""The one mining fleet the plan, the tariff test, the grid strain and the Monte Carlo share.

A plan installs MW of mining per zone and draws, hour by hour, what the grid's surplus, the ramps and the heat allow
(the plan's hourly MW). Whether the fleet actually runs is an economic decision on top of that: it switches off
when the hashprice does not pay the power (revenue per MWh below the tariff). `MiningFleet` holds the plan's side
(MW, J/TH, PUE, capex, the hourly MW) and answers, per day of the plan's year, the MWh it would draw and the
TH-hours it would hash if it runs: the Monte Carlo decides day by day whether it runs (risk-adjusted basis), and
the static basis runs it whenever the scenario's hashprice pays the tariff. The MWh the tariff and strain tests
price are those of the hours it runs, on either basis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from biplomacy.energy.model.network import HASHES_PER_DIFFICULTY, NetworkAssumptions

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class DailyProfile:
    """What the fleet draws and hashes on each day of the plan's year when it runs (plain arrays, one per day)."""

    mwh: np.ndarray  # MWh at the meter
    th_hours: np.ndarray  # TH/s x hours: the day's hashing

    def __post_init__(self) -> None:
        if self.mwh.shape != self.th_hours.shape or self.mwh.ndim != 1 or len(self.mwh) == 0:
            raise ValueError("a daily profile needs two 1-D arrays of the same length")

    @property
    def days(self) -> int:
        return len(self.mwh)

    @classmethod
    def flat(cls, mw: float, uptime: float, th_per_mw: float, days: int = 365) -> DailyProfile:
        """A fleet drawing `uptime` x `mw` every hour (plans stored before daily profiles were kept)."""
        mwh = np.full(days, mw * uptime * HOURS_PER_DAY)
        return cls(mwh, mwh * th_per_mw)

    def to_json(self) -> dict[str, list[float]]:
        # kept whole (not rounded): the risk model reads back the very floats the plan's headline was computed from
        return {"mwh": [float(v) for v in self.mwh], "th_hours": [float(v) for v in self.th_hours]}

    @classmethod
    def from_json(cls, d: dict[str, list[float]]) -> DailyProfile:
        return cls(np.asarray(d["mwh"], dtype=np.float64), np.asarray(d["th_hours"], dtype=np.float64))


@dataclass(frozen=True)
class MiningFleet:
    """A plan's mining fleet: installed MW per zone, the hourly MW the grid lets it draw, and its machines."""

    zones: tuple[str, ...]
    installed_mw: np.ndarray  # per zone
    hourly_mw: np.ndarray  # zones x hours (the plan's hours)
    hours: tuple[str, ...]
    j_per_th: float
    pue: np.ndarray  # per zone
    usd_per_th: float

    @property
    def th_per_mw(self) -> np.ndarray:
        """TH/s one MW at a zone's meter powers: 10^6 / (J/TH x PUE)."""
        return 1e6 / (self.j_per_th * self.pue)

    @property
    def mw(self) -> float:
        return float(self.installed_mw.sum())

    @property
    def capex_usd(self) -> float:
        """The machines for the installed MW of each zone, at the fleet's price per TH/s."""
        return float((self.installed_mw * self.th_per_mw).sum() * self.usd_per_th)

    @property
    def hourly_total_mw(self) -> np.ndarray:
        return self.hourly_mw.sum(axis=0)

    @property
    def year_fraction(self) -> float:
        return len(self.hours) / 8760.0

    @property
    def mwh_per_year(self) -> float:
        return float(self.hourly_mw.sum()) / self.year_fraction

    @property
    def uptime(self) -> float:
        """The plan's MWh over installed MW x hours: what surplus, ramps and heat leave of the year."""
        return min(1.0, self.mwh_per_year / (self.mw * 8760.0)) if self.mw > 0 else 0.0

    def day_index(self) -> np.ndarray:
        """Day (0-based, in the timestamps' own offset) of each hour of the plan."""
        days = np.array([h[:10] for h in self.hours])
        _, index = np.unique(days, return_inverse=True)
        return index.ravel()

    def daily_profile(self) -> DailyProfile:
        """MWh and TH-hours of each day of the plan when the fleet runs (each zone's MWh at its TH/s per MW)."""
        day = self.day_index()
        n = int(day.max()) + 1
        mwh = np.bincount(day, weights=self.hourly_total_mw, minlength=n)
        th = np.bincount(day, weights=(self.hourly_mw * self.th_per_mw[:, None]).sum(axis=0), minlength=n)
        return DailyProfile(mwh, th)

    def btc_per_mwh(self, network: NetworkAssumptions) -> float:
        """BTC a MWh of the plan's mix mines at the network's difficulty and fees (static)."""
        prof = self.daily_profile()
        if prof.mwh.sum() <= 0:
            return 0.0
        hashes = prof.th_hours.sum() * 1e12 * 3600.0
        return hashes / (network.difficulty * HASHES_PER_DIFFICULTY) * (network.subsidy_btc
                                                                      + network.fees_btc_per_block) / prof.mwh.sum()

    def static_runs(self, network: NetworkAssumptions, tariff_usd_mwh: float) -> bool:
        """Does the scenario's hashprice (its difficulty, fees and BTC price, no growth) pay the tariff?"""
        return self.btc_per_mwh(network) * network.btc_price_usd >= tariff_usd_mwh
