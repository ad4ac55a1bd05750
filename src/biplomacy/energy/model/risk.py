"""Monte Carlo of a mining fleet's BTC, revenue and NPV under jointly uncertain price, difficulty and fees.

The model, one step a day (dt = 1/365 year), for every path at once:

* BTC price: geometric Brownian motion, log P += (mu - sigma^2/2) dt + sigma sqrt(dt) z_price, so with
  mu = 0 the price is a martingale (its mean stays at the start price). `price_shock` scales P0 once.
* Difficulty of the rest of the network: log D += log(1 + g) dt + sigma_D sqrt(dt) z_diff, so the median
  grows by g a year. Retargets are continuous here (the 2,016-block steps are left out: they move the
  timing of growth by at most two weeks). Self-dilution: from day 14 on (the first retarget) the
  difficulty also carries the fleet's own hashrate as the network sees it over a retarget window, i.e.
  at its uptime: D_eff = D + uptime * fleet * 600 / 2^32.
* Mean fees per block: f0 * exp(y), y an Ornstein-Uhlenbeck process around 0 (fee spikes fade):
  y += -kappa y dt + sigma_f sqrt(dt) z_fee.
* (z_price, z_diff, z_fee) are standard normals correlated through the Cholesky factor of the scenario's
  correlation matrix. Blocks come every 600 s (144 a day); the subsidy halves at block 1,050,000.
* BTC a day = uptime * fleet * 86,400 / (D_eff * 2^32) * (subsidy + fees); revenue at that day's price;
  energy cost = MW * 24 h * uptime * USD/MWh (fixed); NPV = -capex + sum of discounted daily net cash
  (continuous discounting at log(1 + r)); the machines' residual value is taken as zero.
* Shutdown (on by default): on a day whose revenue would not pay its energy the fleet is switched off
  (no BTC, no energy bought), as an operator on an interruptible surplus tariff would; the decision uses
  that day's price and difficulty.

The fleet is a plan's (energy/risk.py): a stored plan, or the scenario planned on the spot. Its power is
the plan's installed mining MW; its uptime is the plan's MWh a year over installed MW x 8,760 h (surplus hours,
ramps and heat derating are in the plan's hourly MW already); its hashrate while running is chosen so that
uptime x hashrate is the plan's hash-hours (each zone's MWh at the fleet's J/TH and the zone's PUE); the energy
price is the chosen tariff option. The simulation itself takes the Fleet's five figures and nothing else.

Only per-path running totals are kept (a few arrays of `paths` floats), never paths x days; quantile
bands for a fan chart are taken every `band_every_days`. The generator is NumPy's PCG64 seeded with
`seed`, and draws happen in one fixed order, so the same seed gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from biplomacy.core.errors import InputError, Issue
from biplomacy.energy.model.network import BLOCKS_PER_DAY, HASHES_PER_DIFFICULTY, NetworkAssumptions

FIRST_RETARGET_DAY = 14  # 2,016 blocks at 144 a day
QUANTILES = (5.0, 50.0, 95.0)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Fleet:
    """What is being risked: hashrate and power at the meter while running, the share of the time it runs
    (a plan's energy over its installed MW-hours), the energy price and capex."""

    hashrate_hs: float
    power_mw: float
    energy_price_usd_mwh: float
    capex_usd: float
    uptime: float = 1.0  # share of the time the fleet runs at full power (a plan's MWh / (MW x hours))


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """How to simulate: paths, horizon, seed, an immediate price shock and how often to record bands."""

    paths: int = 10_000
    years: float = 5.0
    seed: int = 1
    price_shock: float = 0.0
    band_every_days: int = 7
    self_dilution: bool = True
    shutdown_when_unprofitable: bool = True

    @property
    def days(self) -> int:
        return int(round(self.years * 365))


@dataclass(frozen=True, slots=True)
class Spread:
    """P5, P50 and P95 of one outcome over the paths, and its mean."""

    p5: float
    p50: float
    p95: float
    mean: float


@dataclass(frozen=True, slots=True)
class Band:
    """Quantiles across paths on one day, for the fan chart."""

    day: int
    price_usd: tuple[float, float, float]
    cumulative_btc: tuple[float, float, float]
    cumulative_net_usd: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class RiskResult:
    btc_mined: Spread
    revenue_usd: Spread
    npv_usd: Spread
    energy_cost_usd: Spread
    share_of_days_mining: float
    probability_of_loss: float
    bands: tuple[Band, ...]
    paths: int
    days: int
    seed: int


def validate(fleet: Fleet, settings: RiskSettings) -> None:
    """Every problem with the inputs at once, as an InputError naming the fields."""
    issues: list[Issue] = []

    def check(ok: bool, path: str, message: str) -> None:
        if not ok:
            issues.append(Issue("risk.invalid", path, message))

    check(isinstance(settings.paths, int) and settings.paths >= 1, "paths", f"must be 1 or more, got {settings.paths}")
    check(settings.paths <= 10_000_000, "paths", "at most 10,000,000")
    check(math.isfinite(settings.years) and settings.years > 0, "years", f"must be positive, got {settings.years}")
    check(settings.years <= 50, "years", f"at most 50, got {settings.years}")
    check(settings.years <= 0 or settings.days >= 1, "years", "the horizon must be at least one day")
    check(math.isfinite(settings.price_shock) and settings.price_shock > -1, "price_shock",
          f"must be above -1 (a fraction, -0.5 halves the price), got {settings.price_shock}")
    check(settings.band_every_days >= 1, "band_every_days", "must be 1 or more")
    check(0 <= settings.seed < 2**63, "seed", f"must be a whole number from 0 to 2^63-1, got {settings.seed}")
    for name in ("hashrate_hs", "power_mw", "energy_price_usd_mwh", "capex_usd"):
        v = getattr(fleet, name)
        check(math.isfinite(v) and v >= 0, f"fleet.{name}", f"must be zero or more, got {v}")
    check(fleet.hashrate_hs > 0, "fleet.hashrate_hs", "the fleet has no hashrate")
    check(0 < fleet.uptime <= 1, "fleet.uptime", f"must be in (0, 1], got {fleet.uptime}")
    if issues:
        raise InputError.from_issues(issues, "the risk inputs")


def daily_subsidy(network: NetworkAssumptions, days: int) -> np.ndarray:
    """Mean subsidy of the 144 blocks of each day, the halving falling inside its day pro rata."""
    start = np.arange(days, dtype=np.float64) * BLOCKS_PER_DAY + network.start_height
    before = np.clip(network.halving_height - start, 0.0, BLOCKS_PER_DAY) / BLOCKS_PER_DAY
    return network.subsidy_btc * (before + (1.0 - before) * 0.5)


def simulate(network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings,
             progress: Progress | None = None) -> RiskResult:
    """Run the Monte Carlo described in the module docstring."""
    validate(fleet, settings)
    n, days = settings.paths, settings.days
    dt = 1.0 / 365.0
    sq = math.sqrt(dt)
    chol = np.linalg.cholesky(np.array(network.correlation_matrix()))
    rng = np.random.Generator(np.random.PCG64(settings.seed))

    sp, sd, sf = network.price_volatility_annual, network.difficulty_growth_volatility_annual, network.fee_volatility_annual
    price_step = (network.price_drift_annual - 0.5 * sp * sp) * dt
    diff_step = math.log1p(network.difficulty_growth_per_year) * dt
    fee_keep = 1.0 - network.fee_mean_reversion_per_year * dt
    # scale the Cholesky rows by each process's daily volatility once
    load = chol * np.array([[sp * sq], [sd * sq], [sf * sq]])
    subsidy = daily_subsidy(network, days)
    disc = math.exp(-math.log1p(network.discount_rate_annual) * dt)
    # a retarget averages two weeks of blocks, so the fleet adds its mean hashrate (uptime x running)
    own_difficulty = fleet.uptime * fleet.hashrate_hs * 600.0 / HASHES_PER_DIFFICULTY if settings.self_dilution else 0.0
    btc_per_difficulty = fleet.uptime * fleet.hashrate_hs * 86_400.0 / HASHES_PER_DIFFICULTY
    cost_day = fleet.power_mw * 24.0 * fleet.uptime * fleet.energy_price_usd_mwh

    log_p = np.full(n, math.log(network.btc_price_usd * (1.0 + settings.price_shock)))
    log_d = np.full(n, math.log(network.difficulty))
    y = np.zeros(n)
    btc = np.zeros(n)
    revenue = np.zeros(n)
    pv = np.zeros(n)  # present value of revenue less energy
    days_on = np.zeros(n)
    z = np.empty((3, n))
    shocks = np.empty((3, n))
    day_btc = np.empty(n)
    day_usd = np.empty(n)
    price = np.empty(n)
    on = np.ones(n)
    bands: list[Band] = []
    df, every = 1.0, max(1, days // 50)
    shutdown = settings.shutdown_when_unprofitable
    for t in range(days):
        d_eff = np.exp(log_d)
        if t >= FIRST_RETARGET_DAY:
            d_eff += own_difficulty
        np.exp(y, out=day_btc)
        day_btc *= network.fees_btc_per_block
        day_btc += subsidy[t]
        day_btc *= btc_per_difficulty
        day_btc /= d_eff
        np.exp(log_p, out=price)
        np.multiply(day_btc, price, out=day_usd)
        if shutdown:
            np.greater_equal(day_usd, cost_day, out=on, casting="unsafe")
            day_btc *= on
            day_usd *= on
        btc += day_btc
        revenue += day_usd
        days_on += on
        day_usd -= on * cost_day  # the day's net cash
        day_usd *= df
        pv += day_usd
        df *= disc
        if t % settings.band_every_days == 0 or t == days - 1:
            bands.append(_band(t, price, btc, revenue - cost_day * days_on - fleet.capex_usd))
        if t < days - 1:
            rng.standard_normal(out=z)
            np.matmul(load, z, out=shocks)
            log_p += price_step
            log_p += shocks[0]
            log_d += diff_step
            log_d += shocks[1]
            y *= fee_keep
            y += shocks[2]
        if progress is not None and (t % every == 0 or t == days - 1):
            progress(t + 1, days)
    npv = pv - fleet.capex_usd
    return RiskResult(
        btc_mined=_spread(btc), revenue_usd=_spread(revenue), npv_usd=_spread(npv),
        energy_cost_usd=_spread(days_on * cost_day), share_of_days_mining=float(np.mean(days_on) / days),
        probability_of_loss=float(np.mean(npv < 0.0)),
        bands=tuple(bands), paths=n, days=days, seed=settings.seed)


def _spread(x: np.ndarray) -> Spread:
    p5, p50, p95 = np.percentile(x, QUANTILES)
    return Spread(float(p5), float(p50), float(p95), float(np.mean(x)))


def _band(day: int, price: np.ndarray, btc: np.ndarray, net: np.ndarray) -> Band:
    q = np.percentile(np.stack((price, btc, net)), QUANTILES, axis=1)  # shape (3 quantiles, 3 series)
    return Band(day, (float(q[0, 0]), float(q[1, 0]), float(q[2, 0])), (float(q[0, 1]), float(q[1, 1]), float(q[2, 1])),
                (float(q[0, 2]), float(q[1, 2]), float(q[2, 2])))
