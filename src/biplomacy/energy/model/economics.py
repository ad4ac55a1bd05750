"""Mining economics: expected BTC, the halving, difficulty retargets with self-dilution, hashprice, break-even, payback.

Hashes per unit of difficulty: this module uses 2^32 (the expected number of hashes to find a block at
difficulty 1 is 2^48/65535 = 4,295,032,833, which differs from 2^32 by 1.5e-5 relative). So

    expected BTC = t * h / (D * 2^32) * (subsidy + mean fees per block)

for t seconds at h H/s against difficulty D. The functions take typed quantities (Hashrate, Difficulty,
JPerTH) and return floats: these are model figures, converted to exact amounts only where they are booked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from biplomacy.core.errors import InputError
from biplomacy.core.units import Difficulty, Hashrate, JPerTH
from biplomacy.energy.model.network import (
    BLOCK_INTERVAL_S,
    HASHES_PER_DIFFICULTY,
    RETARGET_CLAMP,
    RETARGET_INTERVAL_BLOCKS,
)

SECONDS_PER_DAY = 86_400.0
HALVING_INTERVAL_BLOCKS = 210_000
KWH_PER_DAY_PER_WATT = 0.024  # 24 h / 1000: one watt for a day is 0.024 kWh


def _check_duration(seconds: float) -> None:
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(f"duration must be zero or more seconds, got {seconds!r}", field="days")


def subsidy_at(height: int, subsidy_btc: float = 3.125, halving_height: int = 1_050_000) -> float:
    """Block subsidy at `height`, given the subsidy that applies just before `halving_height`."""
    if height < halving_height:
        return subsidy_btc
    return subsidy_btc / 2 ** (1 + (height - halving_height) // HALVING_INTERVAL_BLOCKS)


def expected_btc(hashrate: Hashrate, difficulty: Difficulty, seconds: float, *,
                 subsidy_btc: float = 3.125, fees_btc_per_block: float = 0.0) -> float:
    """Expected BTC for `hashrate` over `seconds` at a fixed difficulty and a fixed subsidy."""
    _check_duration(seconds)
    return seconds * hashrate.value / (difficulty.value * HASHES_PER_DIFFICULTY) * (subsidy_btc + fees_btc_per_block)


@dataclass(frozen=True, slots=True)
class WindowYield:
    """Expected BTC over a window of blocks at fixed difficulty, split at the halving."""

    expected_btc: float
    blocks: float
    blocks_before_halving: float
    blocks_after_halving: float
    subsidy_btc_before: float
    subsidy_btc_after: float


def expected_btc_from_height(hashrate: Hashrate, difficulty: Difficulty, seconds: float, start_height: int, *,
                             fees_btc_per_block: float = 0.0, subsidy_btc: float = 3.125,
                             halving_height: int = 1_050_000) -> WindowYield:
    """Expected BTC over a window that starts at block `start_height`, one block every 600 s.

    Each block pays the subsidy of its height, so a window across block 1,050,000 is split there; the
    fleet's expected share of each block is h * 600 / (D * 2^32). A fractional last block counts pro rata.
    """
    _check_duration(seconds)
    if start_height < 0:
        raise InputError(f"start height must be zero or more, got {start_height}", field="start_height")
    blocks = seconds / BLOCK_INTERVAL_S
    before = min(blocks, float(max(0, halving_height - start_height)))
    after = blocks - before
    s_before = subsidy_at(start_height, subsidy_btc, halving_height)
    s_after = subsidy_at(max(start_height, halving_height), subsidy_btc, halving_height)
    reward = 0.0
    if after > 0:
        first_after = max(start_height, halving_height)
        reward += _reward_sum(first_after, after, subsidy_btc, halving_height)
    reward += before * s_before + blocks * fees_btc_per_block
    share = hashrate.value * BLOCK_INTERVAL_S / (difficulty.value * HASHES_PER_DIFFICULTY)
    return WindowYield(share * reward, blocks, before, after, s_before, s_after)


def _reward_sum(first_height: int, blocks: float, subsidy_btc: float, halving_height: int) -> float:
    """Sum of subsidies over `blocks` (possibly fractional) blocks from `first_height` on."""
    total, height, left = 0.0, first_height, blocks
    while left > 0:
        era_end = _next_halving(height, halving_height)
        n = min(left, float(era_end - height))
        total += n * subsidy_at(height, subsidy_btc, halving_height)
        left -= n
        height = era_end
    return total


@dataclass(frozen=True, slots=True)
class RetargetYield:
    """What a fleet earns while the difficulty follows the network, the fleet included, every 2,016 blocks."""

    expected_btc: float
    blocks: float
    retargets: int
    final_difficulty: float
    days: float


def expected_btc_with_retargets(fleet: Hashrate, others: Hashrate, difficulty: Difficulty, days: float, *,
                                start_height: int = 0, difficulty_growth_per_year: float = 0.0,
                                fees_btc_per_block: float = 0.0, subsidy_btc: float = 3.125,
                                halving_height: int = 1_050_000) -> RetargetYield:
    """Expected BTC for `fleet` mining next to the rest of the network, `others`, over `days`.

    Blocks arrive at rate (others + fleet) / (D * 2^32) per second, so a fleet that adds hashrate makes
    blocks come faster until the next retarget; the fleet wins a share fleet / (others + fleet) of each.
    At every height divisible by 2,016 the difficulty is multiplied by (2,016 * 600 s) / (time the epoch
    took), clamped to [1/4, 4] (consensus rules): the fleet's own hashrate raises the difficulty it then
    faces (self-dilution). `others` grows continuously at `difficulty_growth_per_year` (a fraction). The
    blocks of the current epoch mined before `start_height` are taken to have come at 600 s each.
    """
    seconds = days * SECONDS_PER_DAY
    _check_duration(seconds)
    if difficulty_growth_per_year <= -1:
        raise InputError("difficulty growth must be above -1 (a fraction)", field="difficulty_growth_per_year")
    growth_rate = math.log1p(difficulty_growth_per_year) / (365.0 * SECONDS_PER_DAY)
    d = difficulty.value
    height = start_height
    epoch_start = start_height - start_height % RETARGET_INTERVAL_BLOCKS
    epoch_elapsed = (start_height - epoch_start) * BLOCK_INTERVAL_S
    t, btc, blocks, retargets = 0.0, 0.0, 0.0, 0
    while t < seconds:
        next_retarget = epoch_start + RETARGET_INTERVAL_BLOCKS
        boundary = min(next_retarget, _next_halving(height, halving_height))
        total_hs = others.value * math.exp(growth_rate * t) + fleet.value
        rate = total_hs / (d * HASHES_PER_DIFFICULTY)  # blocks per second
        n = float(boundary - height)
        dt = n / rate
        if t + dt >= seconds:  # the horizon ends inside this segment
            dt = seconds - t
            n = dt * rate
        reward = subsidy_at(int(height), subsidy_btc, halving_height) + fees_btc_per_block
        btc += n * fleet.value / total_hs * reward
        blocks += n
        t += dt
        epoch_elapsed += dt
        if t >= seconds:
            break
        height = boundary
        if height == next_retarget:
            factor = RETARGET_INTERVAL_BLOCKS * BLOCK_INTERVAL_S / epoch_elapsed
            d *= min(max(factor, RETARGET_CLAMP[0]), RETARGET_CLAMP[1])
            epoch_start, epoch_elapsed, retargets = height, 0.0, retargets + 1
    return RetargetYield(btc, blocks, retargets, d, days)


def _next_halving(height: int, halving_height: int) -> int:
    if height < halving_height:
        return halving_height
    return halving_height + HALVING_INTERVAL_BLOCKS * (1 + (height - halving_height) // HALVING_INTERVAL_BLOCKS)


def retarget_factor(expected_seconds: float, actual_seconds: float) -> float:
    """The consensus rule: new difficulty / old = expected / actual epoch time, clamped to [1/4, 4]."""
    if not actual_seconds > 0:
        raise InputError("an epoch's duration must be positive", field="actual_seconds")
    return min(max(expected_seconds / actual_seconds, RETARGET_CLAMP[0]), RETARGET_CLAMP[1])


@dataclass(frozen=True, slots=True)
class Hashprice:
    """What one PH/s earns in a day, at a difficulty, a subsidy, fees and a BTC price."""

    btc_per_ph_day: float
    usd_per_ph_day: float

    @property
    def usd_per_th_day(self) -> float:
        return self.usd_per_ph_day / 1000.0


def hashprice(difficulty: Difficulty, btc_price_usd: float, *, subsidy_btc: float = 3.125,
              fees_btc_per_block: float = 0.0) -> Hashprice:
    """Hashprice: expected BTC (and USD) per PH/s per day."""
    btc = expected_btc(Hashrate(1e15), difficulty, SECONDS_PER_DAY, subsidy_btc=subsidy_btc,
                       fees_btc_per_block=fees_btc_per_block)
    return Hashprice(btc, btc * btc_price_usd)


def break_even_power_price_usd_kwh(price: Hashprice, efficiency: JPerTH, pue: float = 1.0) -> float:
    """Power price (USD/kWh) at which an ASIC's revenue just pays its electricity.

    USD/kWh = hashprice (USD/TH/day) / (0.024 * J/TH * PUE): 1 TH/s at e J/TH draws e W, which is
    0.024 * e kWh a day at the machine, times PUE at the meter (cooling and losses).
    """
    if not pue >= 1.0:
        raise InputError(f"PUE must be 1 or more, got {pue}", field="pue")
    return price.usd_per_th_day / (KWH_PER_DAY_PER_WATT * efficiency.value * pue)


def derating_fraction(ambient_c: float, limit_c: float, loss_per_c: float = 0.03) -> float:
    """Share of nameplate hashrate an ASIC keeps at `ambient_c` (1.0 at or below its ambient limit).

    Linear model (an assumption: Bitmain documents throttling above ~40 degC, not a curve): each degree
    above `limit_c` costs `loss_per_c` of the hashrate, down to zero. Power is taken to fall in the same
    proportion, so J/TH is unchanged and a derated machine is a smaller machine.
    """
    if not (math.isfinite(ambient_c) and math.isfinite(limit_c)):
        raise InputError("temperatures must be finite", field="ambient_c")
    if not 0 <= loss_per_c <= 1:
        raise InputError(f"derating per degC must be a fraction, got {loss_per_c}", field="loss_per_c")
    return max(0.0, 1.0 - loss_per_c * max(0.0, ambient_c - limit_c))


@dataclass(frozen=True, slots=True)
class AsicDay:
    """One ASIC fleet's day: revenue, energy cost and margin in USD, and the payback of its capex."""

    hashrate_th_s: float
    power_kw: float
    revenue_usd: float
    energy_cost_usd: float
    margin_usd: float
    payback_days: float | None  # None: the margin is zero or negative, it never pays back


def asic_day(hashrate: Hashrate, efficiency: JPerTH, price: Hashprice, power_price_usd_kwh: float, *,
             capex_usd: float, pue: float = 1.0, derating: float = 1.0) -> AsicDay:
    """Daily revenue, energy cost and margin of `hashrate` of machines, and days to pay back `capex_usd`."""
    if not 0 <= derating <= 1:
        raise InputError(f"derating must be between 0 and 1, got {derating}", field="derating")
    if not (power_price_usd_kwh >= 0 and capex_usd >= 0 and pue >= 1):
        raise InputError("power price and capex must be zero or more and PUE at least 1", field="power_price")
    th = hashrate.value / 1e12 * derating
    kw = th * efficiency.value / 1000.0 * pue
    revenue = th * price.usd_per_th_day
    cost = kw * 24.0 * power_price_usd_kwh
    margin = revenue - cost
    return AsicDay(th, kw, revenue, cost, margin, capex_usd / margin if margin > 0 else None)
