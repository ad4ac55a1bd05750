"""The figures every AML rule reads, one versioned set: biplomacy/data/aml/thresholds-v2.toml gives each its source.

Each rule's module names the fields it reads; the defaults here are the v2 file's values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    reporting_threshold: float = 1000.0
    structuring_band: float = 0.10
    structuring_min_count: int = 3
    window_hours: float = 24.0
    fan_min_counterparties: int = 8
    pass_through_min_ratio: float = 0.90
    pass_through_min_amount: float = 1000.0
    cycle_max_length: int = 5
    cycle_window_hours: float = 72.0
    exposure_hops: int = 2
    peel_min_hops: int = 4
    peel_min_ratio: float = 0.50
    peel_max_ratio: float = 0.98
    dormant_days: float = 90.0
    dormant_min_amount: float = 10000.0
    version: str = "v2"
