"""The files of a solved plan: allocation.csv, system.csv, summary.json, hourly.parquet and the PNG charts."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.core.errors import InputError
from biplomacy.energy.model.merit_order import price_added_load
from biplomacy.energy.plan import ai_load_mw
from biplomacy.energy.results import SolvedPlan


def check_out_dir(out: Path) -> None:
    """Refuse a folder we cannot write into before any work is done."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", field="out")


def write_plan_files(plan: SolvedPlan, out: Path, *, charts: bool = True) -> list[Path]:
    """Write the plan's files under `out` (made if missing); returns them in the order written."""
    s, r = plan.scenario, plan.result
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "allocation.csv", out / "system.csv", out / "summary.json"]
    with files[0].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["hour", "zone", "mining_mw", "ai_mw"])
        for t, h in enumerate(r.hours):
            for i, z in enumerate(r.zones):
                w.writerow([h, z, f"{r.mining_mw[i, t]:.3f}", f"{r.ai_mw[i] * s.ai.uptime:.3f}"])
    with files[1].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["hour", "surplus_mw", "demand_mw", "mining_mw", "ai_mw", "ai_non_surplus_mw", "marginal_source",
                    "marginal_cost_pkr_kwh", "mining_energy_cost_pkr", "ai_energy_cost_pkr"])
        total = r.mining_mw.sum(axis=0)
        ai = ai_load_mw(s, r)
        priced = price_added_load(s.grid, total, ai)
        for t, h in enumerate(r.hours):
            w.writerow([h, f"{r.surplus_mw[t]:.1f}", f"{s.grid.demand_mw[t]:.1f}", f"{total[t]:.3f}", f"{ai:.3f}",
                        f"{r.ai_from_non_surplus_mw[t]:.3f}", priced.marginal_source[t],
                        f"{priced.marginal_cost_pkr_kwh[t]:.2f}", f"{priced.mining_cost_pkr[t]:.0f}",
                        f"{priced.ai_cost_pkr[t]:.0f}"])
    files[2].write_text(json.dumps(plan.summary.to_json(), indent=2), encoding="utf-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"hour": np.repeat(np.array(r.hours), len(r.zones)),
                      "zone": np.tile(np.array(r.zones), len(r.hours)),
                      "mining_mw": r.mining_mw.T.ravel(), "ai_mw": np.tile(r.ai_mw * s.ai.uptime, len(r.hours))})
    pq.write_table(table, out / "hourly.parquet")
    files.append(out / "hourly.parquet")
    if charts:
        from biplomacy.energy.charts import heatmap_spec, monthly_spec

        files.append(write_png(heatmap_spec(r), out / "mining_heatmap.png"))
        files.append(write_png(monthly_spec(r), out / "monthly_energy_by_zone.png"))
    return files


def write_png(spec: dict[str, Any], path: Path) -> Path:
    """Render a Vega-Lite spec offline (vl-convert) to a PNG file."""
    import vl_convert as vlc

    path.write_bytes(vlc.vegalite_to_png(spec, scale=1.5))
    return path
