"""Monte Carlo of a mining fleet's BTC, revenue and NPV under jointly uncertain price, difficulty and fees.

The model, one step a day (dt = 1/365 year), for every path at once:

* BTC price: geometric Brownian motion, log P += (mu - sigma^2/2) dt + sigma sqrt(dt) z_price, so with
  mu = 0 the price is a martingale (its mean stays at the start price). `price_shock` scales P0 once.
* Difficulty of the rest of the network: log D += [log(1 + g) + beta x (log h_t - log h_0)] dt + sigma_D sqrt(dt)
  z_diff, where h is the hashprice (price / difficulty, fees aside) and beta the scenario's
  `difficulty_hashprice_elasticity`: 0 (the default) draws difficulty growth independently of hashprice (only
  the correlated shocks link them); beta > 0 lets miners add hashrate faster when hashprice is above its start and
  slower (or retire it) when below. Retargets are continuous here (the 2,016-block steps move the timing of growth
  by at most two weeks).
* Self-dilution, only while the fleet runs: a retarget averages the last 2,016 blocks, so the difficulty carries the
  fleet's own hashrate averaged over the previous 14 days, counting the days it ran (a day it was off adds
  nothing): D_eff = D + mean_14(on x hashrate) x 600 / 2^32.
* Mean fees per block: f0 * exp(y), y an Ornstein-Uhlenbeck process around 0 (fee spikes fade):
  y += -kappa y dt + sigma_f sqrt(dt) z_fee.
* (z_price, z_diff, z_fee) are standard normals correlated through the Cholesky factor of the scenario's
  correlation matrix. Blocks come every 600 s (144 a day); the subsidy halves at block 1,050,000.
* The fleet is the plan's (energy/model/fleet.py): on day t it would draw the MWh and hash the TH-hours of day
  (t mod days) of the plan's year (surplus hours, ramps and heat derating included). Shutdown (on by default): on a
  day whose revenue would not pay its energy at the tariff, the fleet is switched off (no BTC, no energy bought),
  as an operator on an interruptible surplus tariff would. BTC = TH-hours x 3,600 x 10^12 / (D_eff x 2^32) x
  (subsidy + fees); revenue at that day's price; NPV = -capex + the discounted daily net cash (continuous
  discounting at log(1 + r)); the machines' residual value is taken as zero.
* With a tariff's daily costs (energy/model/tariffs.py DailyCosts) the subsidy and the capacity contribution are
  added up on the days the fleet runs, so the subsidy test gets its range over the paths.

Only per-path running totals are kept (a few arrays of `paths` floats, and a 14-day ring for the dilution), never
paths x days; quantile bands for a fan chart are taken every `band_every_days`.

Chunked seeds (docs/energy-risk.md, docs/scale-out.md): the paths are cut into chunks of CHUNK_PATHS (fixed, so
the draws never depend on how many workers run them; RiskSettings.chunk_paths is smaller only in tests). Chunk 0 draws from NumPy's PCG64 seeded with `seed` itself
(so a run of up to CHUNK_PATHS paths gives the numbers it gave before chunking); chunk i >= 1 from PCG64 seeded
with SeedSequence(seed, spawn_key=(i,)), an independent stream. Each chunk returns its paths' final totals; the
P5/P50/P95 of the report are exact quantiles over all paths' finals, concatenated in chunk order, so in-process
and any cluster give the same figures. The fan chart's bands are exact quantiles over chunk 0's paths (all paths
when there are at most CHUNK_PATHS; the first CHUNK_PATHS otherwise): bands over all paths would need
paths x band days values in one place (6 GB at a million paths).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from biplomacy.core.errors import InputError, Issue
from biplomacy.energy.model.fleet import DailyProfile
from biplomacy.energy.model.network import BLOCKS_PER_DAY, HASHES_PER_DIFFICULTY, NetworkAssumptions
from biplomacy.energy.model.tariffs import DailyCosts

RETARGET_DAYS = 14  # 2,016 blocks at 144 a day
QUANTILES = (5.0, 50.0, 95.0)
CHUNK_PATHS = 100_000  # paths per chunk: fixed, so the numbers never depend on the number of workers (~30 MB each)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Fleet:
    """What is being risked: hashrate and power at the meter at full installed MW, the share of the time the grid
    lets it run (a plan's energy over its installed MW-hours), the energy price and capex, and the plan's daily
    profile (None: `uptime` x the installed MW every day, as plans stored before profiles were kept)."""

    hashrate_hs: float
    power_mw: float
    energy_price_usd_mwh: float
    capex_usd: float
    uptime: float = 1.0  # share of the time the grid lets the fleet run (a plan's MWh / (MW x hours))
    profile: DailyProfile | None = None

    def daily(self) -> DailyProfile:
        if self.profile is not None:
            return self.profile
        return DailyProfile.flat(self.power_mw, self.uptime, self.hashrate_hs / 1e12 / max(self.power_mw, 1e-12))


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
    chunk_paths: int = CHUNK_PATHS  # fixed in use; smaller only in tests, to cut a small run into several chunks

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
class CostSpreads:
    """A tariff's money a year over the paths (PKR): the subsidy, the capacity contribution, what others carry."""

    subsidy_pkr_per_year: Spread
    capacity_contribution_pkr_per_year: Spread
    capacity_carried_by_others_pkr_per_year: Spread
    mwh_per_year: Spread


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
    btc_per_year: Spread
    run_share_by_day: tuple[float, ...]  # per day of the plan's year: the share of (paths x years) it ran
    costs: CostSpreads | None = None


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
    check(settings.chunk_paths >= 1, "chunk_paths", "must be 1 or more")
    check(0 <= settings.seed < 2**63, "seed", f"must be a whole number from 0 to 2^63-1, got {settings.seed}")
    for name in ("hashrate_hs", "power_mw", "energy_price_usd_mwh", "capex_usd"):
        v = getattr(fleet, name)
        check(math.isfinite(v) and v >= 0, f"fleet.{name}", f"must be zero or more, got {v}")
    check(fleet.hashrate_hs > 0, "fleet.hashrate_hs", "the fleet has no hashrate")
    check(0 < fleet.uptime <= 1, "fleet.uptime", f"must be in (0, 1], got {fleet.uptime}")
    if fleet.profile is not None:
        prof = fleet.profile
        check(bool(np.all(np.isfinite(prof.mwh)) and np.all(prof.mwh >= 0) and np.all(np.isfinite(prof.th_hours))
                   and np.all(prof.th_hours >= 0)), "fleet.profile", "daily MWh and TH-hours must be finite and >= 0")
    if issues:
        raise InputError.from_issues(issues, "the risk inputs")


def daily_subsidy(network: NetworkAssumptions, days: int) -> np.ndarray:
    """Mean subsidy of the 144 blocks of each day, the halving falling inside its day pro rata."""
    start = np.arange(days, dtype=np.float64) * BLOCKS_PER_DAY + network.start_height
    before = np.clip(network.halving_height - start, 0.0, BLOCKS_PER_DAY) / BLOCKS_PER_DAY
    return network.subsidy_btc * (before + (1.0 - before) * 0.5)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """One chunk's paths: their final totals (per path, for exact quantiles over all paths), how many of them ran
    on each day of the plan's year (summed over the years), and the fan chart's bands (chunk 0 only)."""

    index: int
    btc: np.ndarray
    revenue: np.ndarray
    energy: np.ndarray
    npv: np.ndarray
    days_on: np.ndarray
    run_on: np.ndarray  # per day of the plan's year: paths running, summed over the years
    run_count: np.ndarray  # per day of the plan's year: how many times the horizon went through it
    bands: tuple[Band, ...]
    kwh: np.ndarray | None = None
    subsidy: np.ndarray | None = None
    contribution: np.ndarray | None = None


def chunks(settings: RiskSettings) -> list[tuple[int, int]]:
    """(chunk index, paths in it) for every chunk of CHUNK_PATHS paths (the last one holds the rest)."""
    n, size = settings.paths, settings.chunk_paths
    return [(i, min(size, n - lo)) for i, lo in enumerate(range(0, n, size))]


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    """The chunk's own stream: PCG64(seed) for chunk 0, PCG64(SeedSequence(seed, spawn_key=(index,))) after."""
    if index == 0:
        return np.random.Generator(np.random.PCG64(seed))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def simulate(network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings,
             progress: Progress | None = None, costs: DailyCosts | None = None,
             capacity_pkr_kwh: float = 0.0) -> RiskResult:
    """Run the Monte Carlo described in the module docstring, chunk after chunk in this process."""
    validate(fleet, settings)
    parts = chunks(settings)
    days, total = settings.days, len(parts) * settings.days
    results = []
    for i, n in parts:
        def step(done: int, _: int, base: int = i * days) -> None:
            if progress is not None:
                progress(base + done, total)

        results.append(simulate_chunk(network, fleet, settings, (i, n), costs, step))
    return combine(results, settings, costs, capacity_pkr_kwh)


def simulate_chunk(network: NetworkAssumptions, fleet: Fleet, settings: RiskSettings, chunk: tuple[int, int],
                   costs: DailyCosts | None = None, progress: Progress | None = None) -> ChunkResult:
    """The paths of one chunk (index, paths), from the chunk's own stream; what runs on a worker."""
    validate(fleet, settings)
    index, n = chunk
    days = settings.days
    dt = 1.0 / 365.0
    sq = math.sqrt(dt)
    chol = np.linalg.cholesky(np.array(network.correlation_matrix()))
    rng = chunk_generator(settings.seed, index)
    prof = fleet.daily()
    if costs is not None and len(costs.kwh) != prof.days:
        raise InputError(f"the tariff's daily costs cover {len(costs.kwh)} days, the fleet's profile {prof.days}",
                         field="fleet.profile")
    keep_bands = index == 0

    sp, sd, sf = network.price_volatility_annual, network.difficulty_growth_volatility_annual, network.fee_volatility_annual
    price_step = (network.price_drift_annual - 0.5 * sp * sp) * dt
    diff_step = math.log1p(network.difficulty_growth_per_year) * dt
    beta_dt = network.difficulty_hashprice_elasticity * dt
    fee_keep = 1.0 - network.fee_mean_reversion_per_year * dt
    load = chol * np.array([[sp * sq], [sd * sq], [sf * sq]])  # scale the Cholesky rows by each daily volatility
    subsidy = daily_subsidy(network, days)
    disc = math.exp(-math.log1p(network.discount_rate_annual) * dt)
    own_per_ths = 1e12 * 600.0 / HASHES_PER_DIFFICULTY  # difficulty one TH/s adds once a retarget has seen it
    hashes_per_th_hour = 1e12 * 3600.0 / HASHES_PER_DIFFICULTY
    shutdown = settings.shutdown_when_unprofitable
    dilution = settings.self_dilution
    usd_mwh = fleet.energy_price_usd_mwh

    log_p0 = math.log(network.btc_price_usd * (1.0 + settings.price_shock))
    log_d0 = math.log(network.difficulty)
    log_p, log_d, y = np.full(n, log_p0), np.full(n, log_d0), np.zeros(n)
    btc, revenue, energy, pv, days_on = (np.zeros(n) for _ in range(5))
    kwh, sub, contrib = np.zeros(n), np.zeros(n), np.zeros(n)
    ring = np.zeros((RETARGET_DAYS, n))  # the fleet's mean TH/s on each of the last 14 days (0 when off)
    trailing = np.zeros(n)
    z, shocks = np.empty((3, n)), np.empty((3, n))
    day_btc, day_usd, price, on = np.empty(n), np.empty(n), np.empty(n), np.ones(n)
    run_sum, run_count = np.zeros(prof.days), np.zeros(prof.days)
    bands: list[Band] = []
    df, every = 1.0, max(1, days // 50)
    for t in range(days):
        k = t % prof.days
        mwh, th_hours = float(prof.mwh[k]), float(prof.th_hours[k])
        d_eff = np.exp(log_d)
        if dilution:
            d_eff += trailing * (own_per_ths / RETARGET_DAYS)
        np.exp(y, out=day_btc)
        day_btc *= network.fees_btc_per_block
        day_btc += subsidy[t]
        day_btc *= th_hours * hashes_per_th_hour
        day_btc /= d_eff
        np.exp(log_p, out=price)
        np.multiply(day_btc, price, out=day_usd)
        cost_day = mwh * usd_mwh
        if th_hours <= 0:  # the grid leaves it nothing that day: it does not mine
            on.fill(0.0)
        elif shutdown:
            np.greater_equal(day_usd, cost_day, out=on, casting="unsafe")
        else:
            on.fill(1.0)
        day_btc *= on
        day_usd *= on
        btc += day_btc
        revenue += day_usd
        days_on += on
        energy += on * cost_day
        if costs is not None:
            kwh += on * float(costs.kwh[k])
            sub += on * float(costs.subsidy_pkr[k])
            contrib += on * float(costs.contribution_pkr[k])
        run_sum[k] += float(on.sum())
        run_count[k] += 1
        slot = t % RETARGET_DAYS  # the oldest day leaves the retarget window, today's hashing enters it
        trailing -= ring[slot]
        np.multiply(on, th_hours / 24.0, out=ring[slot])
        trailing += ring[slot]
        day_usd -= on * cost_day  # the day's net cash
        day_usd *= df
        pv += day_usd
        df *= disc
        if keep_bands and (t % settings.band_every_days == 0 or t == days - 1):
            bands.append(_band(t, price, btc, revenue - energy - fleet.capex_usd))
        if t < days - 1:
            rng.standard_normal(out=z)
            np.matmul(load, z, out=shocks)
            if beta_dt:  # difficulty growth follows hashprice relative to its start
                log_d += beta_dt * ((log_p - log_p0) - (log_d - log_d0))
            log_p += price_step
            log_p += shocks[0]
            log_d += diff_step
            log_d += shocks[1]
            y *= fee_keep
            y += shocks[2]
        if progress is not None and (t % every == 0 or t == days - 1):
            progress(t + 1, days)
    has_costs = costs is not None
    return ChunkResult(index, btc, revenue, energy, pv - fleet.capex_usd, days_on, run_sum, run_count, tuple(bands),
                       kwh if has_costs else None, sub if has_costs else None, contrib if has_costs else None)


def combine(parts: list[ChunkResult], settings: RiskSettings, costs: DailyCosts | None = None,
            capacity_pkr_kwh: float = 0.0) -> RiskResult:
    """The result over all chunks, in chunk order: exact quantiles over every path's finals, whoever ran them."""
    parts = sorted(parts, key=lambda p: p.index)
    if [p.index for p in parts] != list(range(len(parts))) or sum(len(p.btc) for p in parts) != settings.paths:
        raise ValueError("the chunks do not cover the paths once each")

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    days = settings.days
    n = settings.paths
    btc, npv = cat("btc"), cat("npv")
    years = days / 365.0
    cost_spreads = None
    if costs is not None:
        kwh, sub, contrib = cat("kwh"), cat("subsidy"), cat("contribution")
        contribution_py = contrib / years
        cost_spreads = CostSpreads(_spread(sub / years + costs.fixed_unpaid_pkr_per_year), _spread(contribution_py),
                                   _spread(np.clip(capacity_pkr_kwh * kwh / years - contribution_py, 0, None)),
                                   _spread(kwh / 1000.0 / years))
    run_on = np.sum([p.run_on for p in parts], axis=0)
    run_count = parts[0].run_count * n
    shares = np.divide(run_on, run_count, out=np.zeros(len(run_on)), where=run_count > 0)
    return RiskResult(
        btc_mined=_spread(btc), revenue_usd=_spread(cat("revenue")), npv_usd=_spread(npv),
        energy_cost_usd=_spread(cat("energy")), share_of_days_mining=float(np.mean(cat("days_on")) / days),
        probability_of_loss=float(np.mean(npv < 0.0)),
        bands=parts[0].bands, paths=n, days=days, seed=settings.seed, btc_per_year=_spread(btc / years),
        run_share_by_day=tuple(round(float(v), 6) for v in shares), costs=cost_spreads)


def _spread(x: np.ndarray) -> Spread:
    p5, p50, p95 = np.percentile(x, QUANTILES)
    return Spread(float(p5), float(p50), float(p95), float(np.mean(x)))


def _band(day: int, price: np.ndarray, btc: np.ndarray, net: np.ndarray) -> Band:
    q = np.percentile(np.stack((price, btc, net)), QUANTILES, axis=1)  # shape (3 quantiles, 3 series)
    return Band(day, (float(q[0, 0]), float(q[1, 0]), float(q[2, 0])), (float(q[0, 1]), float(q[1, 1]), float(q[2, 1])),
                (float(q[0, 2]), float(q[1, 2]), float(q[2, 2])))
