"""The grid's hourly profile (grid.csv): demand and available capacity by source, with each source's fuel cost.

Columns: `hour` (ISO 8601 with offset, hourly, no gaps or repeats), `demand_mw`, and `avail_<source>_mw` for
every source declared in scenario.toml's [sources.<source>] tables (each with fuel_cost_pkr_kwh). A whole
year (8,760 or 8,784 rows) or any contiguous span of at least 24 hours.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError, Issue

MAX_ISSUES = 50


@dataclass(frozen=True)
class Grid:
    hours: tuple[str, ...]
    demand_mw: np.ndarray
    available_mw: dict[str, np.ndarray]
    fuel_cost_pkr_kwh: dict[str, float]

    @property
    def available_total_mw(self) -> np.ndarray:
        return np.sum(np.vstack(list(self.available_mw.values())), axis=0)

    @property
    def months(self) -> np.ndarray:
        """Month (1-12) of each hour, in the timestamps' own offset."""
        return np.array([int(h[5:7]) for h in self.hours])

    def marginal_cost_pkr_kwh(self, extra_mw: float = 0.0) -> np.ndarray:
        """Hourly short-run marginal cost: the fuel cost of the cheapest plant with room left after the demand
        (plus `extra_mw` of new load) is served in merit order."""
        order = sorted(self.available_mw, key=lambda s: self.fuel_cost_pkr_kwh[s])
        load = self.demand_mw + extra_mw
        cum = np.zeros_like(load)
        out = np.full_like(load, np.nan)
        for src in order:
            cum = cum + self.available_mw[src]
            out = np.where(np.isnan(out) & (cum > load), self.fuel_cost_pkr_kwh[src], out)
        most = max(self.fuel_cost_pkr_kwh.values())
        return np.where(np.isnan(out), most, out)


def _sources(table: Any, where: str, issues: list[Issue]) -> dict[str, float]:
    if not isinstance(table, Mapping) or not table:
        issues.append(Issue("sources", where, "scenario.toml needs [sources.<name>] tables with fuel_cost_pkr_kwh"))
        return {}
    out = {}
    for name, row in table.items():
        cost = row.get("fuel_cost_pkr_kwh") if isinstance(row, Mapping) else None
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0:
            issues.append(Issue("sources", f"{where}: sources.{name}.fuel_cost_pkr_kwh",
                                f"expected a non-negative number, got {cost!r}"))
            continue
        out[str(name)] = float(cost)
    return out


def read_grid(path: Path, sources_table: Any) -> Grid:
    issues: list[Issue] = []
    costs = _sources(sources_table, str(path.parent / "scenario.toml"), issues)
    if not path.is_file():
        raise InputError.from_issues([*issues, Issue("grid.missing", str(path), "file not found")], str(path))
    want = ["hour", "demand_mw", *(f"avail_{s}_mw" for s in costs)]
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        missing = [c for c in want if c not in header]
        extra = [c for c in header if c not in want]
        if missing or extra:
            msg = (f"missing columns {missing}" if missing else "") + ("; " if missing and extra else "") + \
                  (f"unexpected columns {extra} (declare their source in scenario.toml)" if extra else "")
            raise InputError.from_issues([*issues, Issue("grid.columns", f"{path}: header", msg)], str(path))
        col = {c: header.index(c) for c in want}
        hours: list[str] = []
        values = {c: [] for c in want[1:]}  # type: dict[str, list[float]]
        prev: datetime | None = None
        seen: set[str] = set()
        for n, row in enumerate(reader, start=2):
            if len(issues) >= MAX_ISSUES:
                break
            if len(row) != len(header):
                issues.append(Issue("grid.row", f"{path}: row {n}", f"expected {len(header)} fields, got {len(row)}"))
                continue
            h = row[col["hour"]].strip()
            try:
                t = datetime.fromisoformat(h)
                if t.tzinfo is None:
                    raise ValueError("no UTC offset")
            except ValueError as exc:
                issues.append(Issue("grid.hour", f"{path}: row {n}, hour", f"{h!r} is not an ISO timestamp with offset ({exc})"))
                continue
            if h in seen:
                issues.append(Issue("grid.duplicate", f"{path}: row {n}, hour", f"hour {h} appears twice"))
            elif prev is not None and t - prev != timedelta(hours=1):
                issues.append(Issue("grid.gap", f"{path}: row {n}, hour",
                                    f"expected {(prev + timedelta(hours=1)).isoformat()}, got {h} (missing or unordered hours)"))
            seen.add(h)
            prev = t
            hours.append(h)
            for c in want[1:]:
                raw = row[col[c]].strip()
                try:
                    v = float(raw)
                except ValueError:
                    issues.append(Issue("grid.number", f"{path}: row {n}, {c}", f"{raw!r} is not a number"))
                    v = 0.0
                if math.isnan(v) or math.isinf(v):
                    issues.append(Issue("grid.nan", f"{path}: row {n}, {c}", "NaN or infinite value"))
                    v = 0.0
                elif v < 0:
                    issues.append(Issue("grid.negative", f"{path}: row {n}, {c}", f"negative MW ({v:g})"))
                values[c].append(v)
    if not issues and len(hours) < 24:
        issues.append(Issue("grid.short", str(path), f"{len(hours)} hourly rows; at least 24 are needed"))
    if issues:
        raise InputError.from_issues(issues, str(path))
    return Grid(tuple(hours), np.array(values["demand_mw"]),
                {s: np.array(values[f"avail_{s}_mw"]) for s in costs}, costs)
