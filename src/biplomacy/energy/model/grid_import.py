"""Real grid data into a scenario's grid.csv: NTDC's hourly system load and CPPA-G's monthly generation by fuel.

Two published forms are read, every problem reported at once with file, row and field:

* NTDC hourly system load, the layout of NTDC's hourly demand files ("NTD..." files, as the open-energy-transition
  electric-demand-data project reads them from the NTDC data set it cites): a header row, then one row per hour
  with the date as dd/mm/yyyy in the first column, the hour of the day 1-24 in the second (the hour *ending* at
  that time, Pakistan time, +05:00) and the system load in MW in a column named SYSLOAD (thousands separators
  allowed: "12,345"). Hour 1 of 2 Jan 2025 is 00:00-01:00, written 2025-01-02T00:00:00+05:00 in grid.csv.
* CPPA-G monthly generation by fuel, as its fuel charges adjustment petitions to NEPRA publish it: columns `month`
  (YYYY-MM), `source` (a scenario source name: hydro, nuclear, coal_local, coal_imported, gas, rlng, furnace_oil,
  wind_solar, other), `gwh` and optionally `fuel_cost_pkr_kwh`.

`import_grid` turns them into grid.csv rows: demand from the load file; each source's available MW from the
synthetic model's installed mix and availabilities for those hours (energy/model/synthetic_grid.py), raised where
the published generation of a month exceeds what the synthetic availability could have produced that month (the
plants evidently were there), and the report says which.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from biplomacy.core.errors import InputError, Issue
from biplomacy.energy.model.synthetic_grid import HYDRO_MONTHLY, INSTALLED_MW, PKT, THERMAL_AVAILABILITY

MAX_ISSUES = 50
SOURCES = tuple(INSTALLED_MW)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise InputError(f"{path}: file not found", field="file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 CSV file ({exc.reason})", field="file") from None
    if not rows:
        raise InputError(f"{path}: empty file", field="file")
    return [h.strip() for h in rows[0]], rows[1:]


def _mw(raw: str) -> float:
    v = float(raw.strip().replace(",", ""))
    if not math.isfinite(v) or v < 0:
        raise ValueError("not a finite, non-negative number")
    return v


def read_ntdc_load(path: Path) -> tuple[list[str], np.ndarray]:
    """Hours (ISO, +05:00, the hour's start) and system load MW from an NTDC hourly load file, sorted by hour."""
    header, rows = _read_rows(path)
    upper = [h.upper() for h in header]
    issues: list[Issue] = []
    if len(header) < 3 or "SYSLOAD" not in upper:
        raise InputError.from_issues([Issue("ntdc.columns", f"{path}: header", "expected the date (dd/mm/yyyy) and "
                                            f"the hour (1-24) first and a SYSLOAD column, got {header}")], str(path))
    load_col = upper.index("SYSLOAD")
    seen: dict[datetime, int] = {}
    for n, row in enumerate(rows, start=2):
        if len(issues) >= MAX_ISSUES:
            break
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            issues.append(Issue("ntdc.row", f"{path}: row {n}", f"expected {len(header)} fields, got {len(row)}"))
            continue
        try:
            day = datetime.strptime(row[0].strip(), "%d/%m/%Y").replace(tzinfo=PKT)
        except ValueError:
            issues.append(Issue("ntdc.date", f"{path}: row {n}, date", f"{row[0]!r} is not a date dd/mm/yyyy"))
            continue
        try:
            hour = int(row[1].strip())
            if not 1 <= hour <= 24:
                raise ValueError
        except ValueError:
            issues.append(Issue("ntdc.hour", f"{path}: row {n}, hour", f"{row[1]!r} is not an hour from 1 to 24"))
            continue
        start = day + timedelta(hours=hour - 1)  # hour H ends at H:00: it starts at H-1
        try:
            load = _mw(row[load_col])
        except ValueError as exc:
            issues.append(Issue("ntdc.load", f"{path}: row {n}, SYSLOAD", f"{row[load_col]!r}: {exc}"))
            continue
        if start in seen:
            issues.append(Issue("ntdc.duplicate", f"{path}: row {n}", f"hour {hour} of {row[0]} appears twice"))
            continue
        seen[start] = n
        rows[n - 2] = [start.isoformat(), str(load)]
    ordered = sorted(seen)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b - a != timedelta(hours=1) and len(issues) < MAX_ISSUES:
            issues.append(Issue("ntdc.gap", f"{path}: row {seen[b]}", f"hours missing between {a.isoformat()} and "
                                f"{b.isoformat()}"))
    if not issues and len(ordered) < 24:
        issues.append(Issue("ntdc.short", str(path), f"{len(ordered)} hours; at least 24 are needed"))
    if issues:
        raise InputError.from_issues(issues, str(path))
    return [t.isoformat() for t in ordered], np.array([float(rows[seen[t] - 2][1]) for t in ordered])


@dataclass(frozen=True)
class MonthlyGeneration:
    month: str  # YYYY-MM
    source: str
    gwh: float
    fuel_cost_pkr_kwh: float | None


def read_generation_mix(path: Path) -> list[MonthlyGeneration]:
    """CPPA-G's monthly generation by fuel (see the module docstring); every problem at once."""
    header, rows = _read_rows(path)
    need = ["month", "source", "gwh"]
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError.from_issues([Issue("mix.columns", f"{path}: header", f"missing columns {missing}; expected "
                                            "month, source, gwh[, fuel_cost_pkr_kwh]")], str(path))
    col = {c: header.index(c) for c in header}
    out, issues, seen = [], [], set()
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            issues.append(Issue("mix.row", f"{path}: row {n}", f"expected {len(header)} fields, got {len(row)}"))
            continue
        month, source = row[col["month"]].strip(), row[col["source"]].strip()
        try:
            datetime.strptime(month, "%Y-%m")
        except ValueError:
            issues.append(Issue("mix.month", f"{path}: row {n}, month", f"{month!r} is not a month YYYY-MM"))
        if source not in SOURCES:
            issues.append(Issue("mix.source", f"{path}: row {n}, source", f"{source!r} is not one of {', '.join(SOURCES)}"))
        if (month, source) in seen:
            issues.append(Issue("mix.duplicate", f"{path}: row {n}", f"{source} in {month} appears twice"))
        seen.add((month, source))
        values: dict[str, float | None] = {}
        for field in ("gwh", "fuel_cost_pkr_kwh"):
            raw = row[col[field]].strip() if field in col else ""
            if field == "fuel_cost_pkr_kwh" and raw == "":
                values[field] = None
                continue
            try:
                values[field] = _mw(raw)
            except ValueError as exc:
                issues.append(Issue("mix.number", f"{path}: row {n}, {field}", f"{raw!r}: {exc}"))
                values[field] = 0.0
        out.append(MonthlyGeneration(month, source, float(values["gwh"] or 0.0), values["fuel_cost_pkr_kwh"]))
        if len(issues) >= MAX_ISSUES:
            break
    if issues:
        raise InputError.from_issues(issues, str(path))
    return out


@dataclass(frozen=True)
class ImportedGrid:
    hours: list[str]
    demand_mw: np.ndarray
    available_mw: dict[str, np.ndarray]
    raised: tuple[str, ...]  # "<source> in <month>: x% more available MW than the synthetic model" lines


def import_grid(hours: list[str], demand: np.ndarray, mix: list[MonthlyGeneration] | None = None) -> ImportedGrid:
    """grid.csv's columns for the load's hours: its demand, the synthetic availability, raised to the mix."""
    times = [datetime.fromisoformat(h) for h in hours]
    month = np.array([t.month for t in times])
    hour = np.array([t.hour for t in times], dtype=float)
    daylight = np.clip(np.sin(math.pi * (hour - 6) / 12.0), 0, None)
    avail: dict[str, np.ndarray] = {}
    for src, mw in INSTALLED_MW.items():
        if src == "hydro":
            factor = np.array([HYDRO_MONTHLY[m - 1] for m in month])
        elif src == "wind_solar":
            factor = 0.10 + 0.55 * daylight
        else:
            factor = np.full(len(hours), THERMAL_AVAILABILITY)
        avail[src] = mw * factor
    raised = []
    keys = np.array([t.strftime("%Y-%m") for t in times])
    for g in mix or []:
        inside = keys == g.month
        if not inside.any():
            continue
        possible_gwh = float(avail[g.source][inside].sum()) / 1000.0 * (month_hours(g.month) / inside.sum())
        if g.gwh > possible_gwh > 0:
            scale = g.gwh / possible_gwh
            avail[g.source][inside] *= scale
            raised.append(f"{g.source} in {g.month}: {scale - 1:.0%} more available MW than the synthetic model "
                          f"(published {g.gwh:,.0f} GWh)")
    return ImportedGrid(hours, demand, avail, tuple(raised))


def month_hours(month: str) -> int:
    start = datetime.strptime(month, "%Y-%m")
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return int((end - start).total_seconds() // 3600)


def write_grid(path: Path, g: ImportedGrid) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["hour", "demand_mw", *(f"avail_{s}_mw" for s in g.available_mw)])
        for i, h in enumerate(g.hours):
            w.writerow([h, f"{g.demand_mw[i]:.1f}", *(f"{g.available_mw[s][i]:.1f}" for s in g.available_mw)])
    return len(g.hours)
