"""A reproducible synthetic hourly profile of Pakistan's grid for one year (the shipped scenario's grid.csv).

Demand swings between the winter and summer peaks (~12 GW and ~30 GW, NTDC/NEPRA) on a cosine over the
year, with an evening-peaking daily shape and seeded noise; available capacity by source is the installed
mix (assumptions summing to NEPRA's 46,605 MW) times an availability: seasonal for hydro (low winter
flows), a flat forced-outage factor for thermal and nuclear, a daylight shape for solar and wind.
docs/energy-scenario.md lists every figure and its source or reasoning.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

PKT = timezone(timedelta(hours=5))

# installed MW by source: assumptions (see facts/energy-scenario.toml) summing to 46,605 MW (NEPRA FY2025)
INSTALLED_MW = {"hydro": 10635.0, "nuclear": 3530.0, "coal_local": 3300.0, "coal_imported": 4920.0,
                "rlng": 12200.0, "furnace_oil": 6500.0, "wind_solar": 3170.0, "other": 2350.0}
HYDRO_MONTHLY = (0.25, 0.25, 0.30, 0.45, 0.65, 0.80, 0.85, 0.85, 0.70, 0.45, 0.30, 0.25)
THERMAL_AVAILABILITY = 0.85


@dataclass(frozen=True)
class GridShape:
    winter_peak_mw: float = 12000.0
    summer_peak_mw: float = 30000.0
    night_trough_share: float = 0.70
    noise_share: float = 0.02
    seed: int = 2025
    year: int = 2025


def generate(shape: GridShape = GridShape()) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """Hours (ISO, +05:00), demand MW and available MW by source for every hour of `shape.year`."""
    rng = np.random.default_rng(shape.seed)
    start = datetime(shape.year, 1, 1, tzinfo=PKT)
    n = (datetime(shape.year + 1, 1, 1, tzinfo=PKT) - start).days * 24
    times = [start + timedelta(hours=i) for i in range(n)]
    day_of_year = np.array([t.timetuple().tm_yday for t in times], dtype=float)
    hour = np.array([t.hour for t in times], dtype=float)
    month = np.array([t.month for t in times])
    # seasonal daily peak: winter minimum mid-January, summer maximum mid-July
    season = 0.5 - 0.5 * np.cos(2 * math.pi * (day_of_year - 15) / 365.0)
    daily_peak = shape.winter_peak_mw + (shape.summer_peak_mw - shape.winter_peak_mw) * season
    # daily shape: trough at 05:00, peak at 21:00
    diurnal = shape.night_trough_share + (1 - shape.night_trough_share) * (
        0.5 - 0.5 * np.cos(2 * math.pi * (hour - 5) / 32.0).clip(-1, 1))
    diurnal = np.where(hour >= 21, 1.0 - (hour - 21) * (1 - shape.night_trough_share) / 8, diurnal)
    demand = daily_peak * diurnal * (1 + shape.noise_share * rng.standard_normal(n))
    demand = np.minimum(demand, shape.summer_peak_mw)
    daylight = np.clip(np.sin(math.pi * (hour - 6) / 12.0), 0, None)
    avail = {}
    for src, mw in INSTALLED_MW.items():
        if src == "hydro":
            factor = np.array([HYDRO_MONTHLY[m - 1] for m in month])
        elif src == "wind_solar":
            factor = 0.10 + 0.55 * daylight
        else:
            factor = np.full(n, THERMAL_AVAILABILITY)
        avail[src] = mw * factor
    return [t.isoformat() for t in times], demand, avail


def write_grid_csv(path: Path, shape: GridShape = GridShape()) -> int:
    hours, demand, avail = generate(shape)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["hour", "demand_mw", *(f"avail_{s}_mw" for s in avail)])
        for i, h in enumerate(hours):
            w.writerow([h, f"{demand[i]:.1f}", *(f"{avail[s][i]:.1f}" for s in avail)])
    return len(hours)
