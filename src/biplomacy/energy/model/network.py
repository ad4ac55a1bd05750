"""The Bitcoin network a mining plan faces: difficulty, fees, price, halving, and the Monte Carlo's parameters.

A scenario's `[network]` table is read through `NetworkAssumptions.from_mapping`; every field it leaves out
takes its default from the provenance registry (data/facts/energy-network.toml), each either sourced or an
explicit assumption with its reasoning. Quantities are floats: these are model inputs, never booked amounts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.provenance import Registry, load_registry
from biplomacy.core.units import Difficulty, Hashrate

HASHES_PER_DIFFICULTY = 2**32
"""Expected hashes per block per unit of difficulty. The exact figure is 2^48/65535; they differ by 1.5e-5."""
BLOCK_INTERVAL_S = 600.0
BLOCKS_PER_DAY = 86_400 / BLOCK_INTERVAL_S
RETARGET_INTERVAL_BLOCKS = 2016
RETARGET_CLAMP = (0.25, 4.0)

# field name -> registry key of its default (None: a default that is a rule, not a figure)
_DEFAULT_KEYS: dict[str, str] = {
    "difficulty": "energy.network.difficulty",
    "difficulty_growth_per_year": "energy.network.difficulty_growth_per_year",
    "fees_btc_per_block": "energy.network.fees_btc_per_block",
    "btc_price_usd": "energy.network.btc_price_usd",
    "start_height": "energy.network.start_height",
    "halving_height": "energy.network.halving_height",
    "subsidy_btc": "energy.network.subsidy_btc",
    "price_volatility_annual": "energy.risk.price_volatility_annual",
    "price_drift_annual": "energy.risk.price_drift_annual",
    "difficulty_growth_volatility_annual": "energy.risk.difficulty_growth_volatility_annual",
    "fee_volatility_annual": "energy.risk.fee_volatility_annual",
    "fee_mean_reversion_per_year": "energy.risk.fee_mean_reversion_per_year",
    "corr_price_difficulty": "energy.risk.corr_price_difficulty",
    "corr_price_fees": "energy.risk.corr_price_fees",
    "corr_difficulty_fees": "energy.risk.corr_difficulty_fees",
    "discount_rate_annual": "energy.risk.discount_rate_annual",
    "difficulty_hashprice_elasticity": "energy.risk.difficulty_hashprice_elasticity",
}


@dataclass(frozen=True, slots=True)
class NetworkAssumptions:
    """What the network looks like at the start of a horizon, and how its uncertainty is modelled.

    `network_hashrate_hs` defaults to the hashrate the difficulty implies (D * 2^32 / 600 s), so the two
    agree unless a scenario sets both. Correlations are between the daily shocks of log price, log
    difficulty and log fees (see energy/risk.py).
    """

    difficulty: float
    difficulty_growth_per_year: float
    network_hashrate_hs: float
    fees_btc_per_block: float
    btc_price_usd: float
    start_height: int
    halving_height: int = 1_050_000
    subsidy_btc: float = 3.125
    price_volatility_annual: float = 0.5
    price_drift_annual: float = 0.0
    difficulty_growth_volatility_annual: float = 0.15
    fee_volatility_annual: float = 0.8
    fee_mean_reversion_per_year: float = 2.0
    corr_price_difficulty: float = 0.3
    corr_price_fees: float = 0.4
    corr_difficulty_fees: float = 0.1
    discount_rate_annual: float = 0.12
    difficulty_hashprice_elasticity: float = 0.0  # 0: difficulty growth drawn independently of hashprice

    @classmethod
    def defaults(cls, registry: Registry | None = None) -> NetworkAssumptions:
        """Every field from the provenance registry."""
        reg = registry or load_registry()
        values: dict[str, Any] = {name: reg.number(key) for name, key in _DEFAULT_KEYS.items()}
        for name in ("start_height", "halving_height"):
            values[name] = int(reg.value(_DEFAULT_KEYS[name]))
        values["network_hashrate_hs"] = implied_hashrate_hs(values["difficulty"])
        return cls(**values)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], where: str, registry: Registry | None = None) -> NetworkAssumptions:
        """Read a scenario's `[network]` table; every problem is reported at once as `<where>: network.<field>`.

        Missing fields take the registry default. `difficulty` may be a number or text like "148.26T";
        `network_hashrate_hs` a number (H/s) or text like "1061EH/s".
        """
        if not isinstance(d, Mapping):
            raise InputError(f"{where}: [network] must be a table, got {type(d).__name__}", field="network")
        base = cls.defaults(registry)
        known = {f.name for f in fields(cls)}
        issues: list[Issue] = []
        values: dict[str, Any] = {}

        def bad(name: str, message: str) -> None:
            issues.append(Issue("network.invalid", f"{where}: network.{name}", message))

        for key in d:
            if key not in known:
                bad(str(key), f"unknown field; expected one of {', '.join(sorted(known))}")
        for name in known:
            if name not in d:
                continue
            raw = d[name]
            try:
                values[name] = _coerce(name, raw)
            except InputError as exc:
                bad(name, str(exc))
        merged = {f.name: values.get(f.name, getattr(base, f.name)) for f in fields(cls)}
        if "difficulty" in values and "network_hashrate_hs" not in values:
            merged["network_hashrate_hs"] = implied_hashrate_hs(merged["difficulty"])
        failed = {i.path for i in issues}
        for name, message in _range_problems(merged):
            if f"{where}: network.{name}" not in failed:
                bad(name, message)
        if issues:
            raise InputError.from_issues(issues, where)
        return cls(**merged)

    def with_changes(self, **changes: Any) -> NetworkAssumptions:
        """A copy with some fields changed, validated like a scenario's table."""
        merged = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        problems = _range_problems(merged)
        if problems:
            raise InputError.from_issues([Issue("network.invalid", f"network.{n}", m) for n, m in problems])
        return replace(self, **changes)

    def correlation_matrix(self) -> tuple[tuple[float, float, float], ...]:
        """Correlation of daily shocks in the order (price, difficulty, fees)."""
        a, b, c = self.corr_price_difficulty, self.corr_price_fees, self.corr_difficulty_fees
        return ((1.0, a, b), (a, 1.0, c), (b, c, 1.0))

    @staticmethod
    def source_keys() -> list[str]:
        """Registry keys behind the defaults, for a report's `sources`."""
        return list(_DEFAULT_KEYS.values()) + ["energy.network.hashes_per_difficulty", "energy.network.block_interval_s"]


def implied_hashrate_hs(difficulty: float) -> float:
    """Network hashrate (H/s) at which blocks come every 600 s on average at this difficulty."""
    return difficulty * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL_S


_INTEGER_FIELDS = {"start_height", "halving_height"}


def _coerce(name: str, raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise InputError(f"expected a number, got {raw!r}")
    if name == "difficulty":
        return Difficulty.parse(raw, field=name).value if isinstance(raw, str) else _number(raw)
    if name == "network_hashrate_hs":
        return Hashrate.parse(raw, field=name).value if isinstance(raw, str) else _number(raw)
    if name in _INTEGER_FIELDS:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if not isinstance(raw, int):
            raise InputError(f"expected a whole block height, got {raw!r}")
        return raw
    return _number(raw)


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InputError(f"expected a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise InputError(f"expected a finite number, got {raw!r}")
    return value


def _range_problems(v: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in ("difficulty", "network_hashrate_hs", "btc_price_usd", "subsidy_btc"):
        if not v[name] > 0:
            out.append((name, f"must be positive, got {v[name]!r}"))
    for name in ("fees_btc_per_block", "price_volatility_annual", "difficulty_growth_volatility_annual",
                 "fee_volatility_annual", "fee_mean_reversion_per_year"):
        if not v[name] >= 0:
            out.append((name, f"must be zero or more, got {v[name]!r}"))
    if not v["difficulty_growth_per_year"] > -1:
        out.append(("difficulty_growth_per_year", f"must be above -1 (a fraction), got {v['difficulty_growth_per_year']!r}"))
    if not 0 <= v["difficulty_hashprice_elasticity"] <= 10:
        out.append(("difficulty_hashprice_elasticity", f"must be from 0 to 10 (0: independent of hashprice), got "
                    f"{v['difficulty_hashprice_elasticity']!r}"))
    if not -1 < v["discount_rate_annual"] < 10:
        out.append(("discount_rate_annual", f"must be a fraction like 0.12, got {v['discount_rate_annual']!r}"))
    if not v["start_height"] >= 0:
        out.append(("start_height", f"must be zero or more, got {v['start_height']!r}"))
    if not v["halving_height"] > 0:
        out.append(("halving_height", f"must be positive, got {v['halving_height']!r}"))
    corr = ("corr_price_difficulty", "corr_price_fees", "corr_difficulty_fees")
    for name in corr:
        if not -1 < v[name] < 1:
            out.append((name, f"must be strictly between -1 and 1, got {v[name]!r}"))
    if not out:
        a, b, c = (v[n] for n in corr)
        det = 1 + 2 * a * b * c - a * a - b * b - c * c
        if det <= 0:
            out.append(("corr_price_difficulty", "the three correlations together are not a valid correlation "
                        "matrix (not positive definite); make them smaller"))
    return out
