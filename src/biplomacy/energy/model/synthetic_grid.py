"""A reproducible synthetic hourly profile of Pakistan's grid for one year (the shipped scenario's grid.csv).

Demand keeps a documented shape: the daily peak moves on a cosine between a winter peak (mid-January) and a summer
peak (mid-July), the day follows an evening-peaking curve, and 2 % seeded noise is added. The two peaks are not
inputs: they are solved for (`calibrate`) so that the year's energy is FY2025's grid generation (127,159 GWh,
energy.pk.generation_fy2025_gwh) and July's mean load over December's is the ratio of CPPA-G's monthly generation
(14,123 / 8,487 GWh). The FY2025 total (Jul 2024-Jun 2025) is applied to the calendar year of the profile.

Available capacity by source is the installed mix without net metering (43,792 MW: 46,605 MW less 2,813 MW of
behind-the-meter solar; energy.scenario.installed_mix) times an availability: seasonal for hydro (low winter flows),
a flat forced-outage factor for thermal and nuclear, a daylight shape for wind and solar (all assumptions).
docs/energy-scenario.md lists every figure and its source or reasoning.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

PKT = timezone(timedelta(hours=5))

# installed MW by source without net metering (energy.scenario.installed_mix): hydro, nuclear and grid renewables
# from the Economic Survey 2024-25 shares of 46,605 MW; the thermal 25,912 MW split by assumption
INSTALLED_MW = {"hydro": 11372.0, "nuclear": 3635.0, "coal_local": 3300.0, "coal_imported": 4920.0,
                "rlng": 8950.0, "gas": 4450.0, "furnace_oil": 3810.0, "wind_solar": 2873.0, "other": 482.0}
HYDRO_MONTHLY = (0.25, 0.25, 0.30, 0.45, 0.65, 0.80, 0.85, 0.85, 0.70, 0.45, 0.30, 0.25)
THERMAL_AVAILABILITY = 0.85
GENERATION_GWH = 127_159.0  # energy.pk.generation_fy2025_gwh
JULY_OVER_DECEMBER = 14_123.0 / 8_487.0  # energy.pk.generation_jul2025_gwh / energy.pk.generation_dec2025_gwh


@dataclass(frozen=True)
class GridShape:
    energy_gwh: float = GENERATION_GWH
    july_over_december: float = JULY_OVER_DECEMBER
    night_trough_share: float = 0.70
    noise_share: float = 0.02
    seed: int = 2025
    year: int = 2025
    installed_mw: dict[str, float] = field(default_factory=lambda: dict(INSTALLED_MW))


@dataclass(frozen=True)
class Calibration:
    """What the calibration solved for and what the profile then adds up to (reported, not input)."""

    winter_peak_mw: float
    summer_peak_mw: float
    energy_gwh: float
    peak_mw: float
    installed_mw: float
    july_over_december: float


def _times(year: int) -> list[datetime]:
    start = datetime(year, 1, 1, tzinfo=PKT)
    n = (datetime(year + 1, 1, 1, tzinfo=PKT) - start).days * 24
    return [start + timedelta(hours=i) for i in range(n)]


def calibrate(shape: GridShape = GridShape()) -> tuple[list[str], np.ndarray, Calibration]:
    """Hours and demand MW of `shape.year`, with the winter and summer peaks solved from the two targets.

    Demand is (W + (S - W) x season) x diurnal x noise, linear in (W, S - W): the year's energy and July's mean
    over December's give two linear equations, solved exactly."""
    rng = np.random.default_rng(shape.seed)
    times = _times(shape.year)
    n = len(times)
    day_of_year = np.array([t.timetuple().tm_yday for t in times], dtype=float)
    hour = np.array([t.hour for t in times], dtype=float)
    month = np.array([t.month for t in times])
    season = 0.5 - 0.5 * np.cos(2 * math.pi * (day_of_year - 15) / 365.0)  # 0 mid-January, 1 mid-July
    trough = shape.night_trough_share
    diurnal = trough + (1 - trough) * (0.5 - 0.5 * np.cos(2 * math.pi * (hour - 5) / 32.0).clip(-1, 1))
    diurnal = np.where(hour >= 21, 1.0 - (hour - 21) * (1 - trough) / 8, diurnal)  # trough 05:00, peak 21:00
    base = diurnal * (1 + shape.noise_share * rng.standard_normal(n))
    a, b = base, base * season  # demand = W a + (S - W) b
    jul, dec = month == 7, month == 12
    m = np.array([[a.sum(), b.sum()],
                  [a[jul].mean() - shape.july_over_december * a[dec].mean(),
                   b[jul].mean() - shape.july_over_december * b[dec].mean()]])
    w, span = np.linalg.solve(m, np.array([shape.energy_gwh * 1000.0, 0.0]))
    demand = w * a + span * b
    cal = Calibration(float(w), float(w + span), float(demand.sum() / 1000.0), float(demand.max()),
                      float(sum(shape.installed_mw.values())), float(demand[jul].mean() / demand[dec].mean()))
    return [t.isoformat() for t in times], demand, cal


def generate(shape: GridShape = GridShape()) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """Hours (ISO, +05:00), demand MW and available MW by source for every hour of `shape.year`."""
    hours, demand, _ = calibrate(shape)
    times = _times(shape.year)
    hour = np.array([t.hour for t in times], dtype=float)
    month = np.array([t.month for t in times])
    daylight = np.clip(np.sin(math.pi * (hour - 6) / 12.0), 0, None)
    avail = {}
    for src, mw in shape.installed_mw.items():
        if src == "hydro":
            factor = np.array([HYDRO_MONTHLY[m - 1] for m in month])
        elif src == "wind_solar":
            factor = 0.10 + 0.55 * daylight
        else:
            factor = np.full(len(hours), THERMAL_AVAILABILITY)
        avail[src] = mw * factor
    return hours, demand, avail


def write_grid_csv(path: Path, shape: GridShape = GridShape()) -> int:
    hours, demand, avail = generate(shape)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["hour", "demand_mw", *(f"avail_{s}_mw" for s in avail)])
        for i, h in enumerate(hours):
            w.writerow([h, f"{demand[i]:.1f}", *(f"{avail[s][i]:.1f}" for s in avail)])
    return len(hours)
