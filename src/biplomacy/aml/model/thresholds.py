"""The figures every AML rule reads, one versioned set: biplomacy/data/aml/thresholds-v3.toml gives each its source.

Each rule's module names the fields it reads; the defaults here are the v3 file's values. A calibrated rule
profile (profile.py) carries a whole set fitted to labelled data, with `version` naming the profile. Amount
ceilings of the typology rules (`*_max_amount`, inf: none) are absolute here; a calibration fits them as
quantiles of the data set's amounts and keeps both (the profile's `amount_quantiles`).
"""

from __future__ import annotations

from dataclasses import dataclass

INF = float("inf")


@dataclass(frozen=True)
class Thresholds:
    reporting_threshold: float = 1000.0
    structuring_band: float = 0.10
    structuring_min_count: int = 3
    window_hours: float = 24.0
    pass_through_min_ratio: float = 0.90
    pass_through_min_amount: float = 1000.0
    fan_in_min_counterparties: int = 8
    fan_in_window_hours: float = 24.0
    fan_in_max_amount: float = INF
    fan_out_min_counterparties: int = 8
    fan_out_window_hours: float = 24.0
    fan_out_max_amount: float = INF
    cycle_max_length: int = 5
    cycle_window_hours: float = 72.0
    cycle_max_amount: float = INF
    unordered_cycle_max_length: int = 5
    unordered_cycle_window_hours: float = 720.0
    unordered_cycle_max_amount: float = INF
    scatter_gather_min_paths: int = 3
    scatter_gather_window_hours: float = 72.0
    scatter_gather_max_amount: float = INF
    gather_scatter_min_counterparties: int = 3
    gather_scatter_window_hours: float = 72.0
    gather_scatter_max_amount: float = INF
    bipartite_min_shared: int = 3
    bipartite_window_hours: float = 72.0
    bipartite_max_amount: float = INF
    stack_min_accounts: int = 3
    stack_window_hours: float = 72.0
    stack_max_amount: float = INF
    random_min_hops: int = 6
    random_window_hours: float = 24.0
    random_max_amount: float = INF
    exposure_hops: int = 2
    peel_min_hops: int = 4
    peel_min_ratio: float = 0.50
    peel_max_ratio: float = 0.98
    dormant_days: float = 90.0
    dormant_min_amount: float = 10000.0
    disabled: tuple[str, ...] = ()  # rules a calibration switched off (they lowered F1 on the labelled data)
    version: str = "v3"

    def longest_window_hours(self) -> float:
        """The longest look-back of any rule: how long the streaming state keeps an untouched account's windows."""
        return max(self.window_hours, self.fan_in_window_hours, self.fan_out_window_hours, self.cycle_window_hours,
                   self.forward_window_hours(), self.bipartite_window_hours)

    def forward_window_hours(self) -> float:
        """The longest window of the rules built on forward pairs (in, then out of the same account)."""
        return max(self.scatter_gather_window_hours, self.gather_scatter_window_hours, self.stack_window_hours,
                   self.random_window_hours)

    def forward_max_amount(self) -> float:
        return max(self.scatter_gather_max_amount, self.gather_scatter_max_amount, self.stack_max_amount,
                   self.random_max_amount)
