"""Chart specs of a plan (Altair / Vega-Lite): the hour x day heat map of mining MW and monthly energy by zone.

One spec, two outputs: PNG through vl-convert (offline) and the portal, which draws the same spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import numpy as np

from biplomacy.energy.planner import PlanResult


def heatmap_spec(r: PlanResult) -> dict[str, Any]:
    total = r.mining_mw.sum(axis=0)
    values = [{"date": h[:10], "hour": int(h[11:13]), "mw": round(float(total[t]), 1)} for t, h in enumerate(r.hours)]
    chart = alt.Chart(alt.Data(values=values)).mark_rect().encode(
        x=alt.X("date:O", title="day", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("hour:O", title="hour of day (PKT)"),
        color=alt.Color("mw:Q", title="mining MW", scale=alt.Scale(scheme="viridis")),
        tooltip=["date:O", "hour:O", "mw:Q"],
    ).properties(title="Mining load, hour x day (winter and summer)", width=720, height=240)
    return chart.to_dict()


def monthly_spec(r: PlanResult) -> dict[str, Any]:
    months = np.array([int(h[5:7]) for h in r.hours])
    values = [{"month": int(m), "zone": z, "gwh": round(float(r.mining_mw[i, months == m].sum()) / 1000.0, 2)}
              for i, z in enumerate(r.zones) for m in sorted(set(months.tolist()))]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("month:O", title="month"),
        y=alt.Y("gwh:Q", title="mining energy (GWh)", stack=True),
        color=alt.Color("zone:N", title="zone"),
        tooltip=["zone:N", "month:O", "gwh:Q"],
    ).properties(title="Monthly mining energy by zone", width=520, height=260)
    return chart.to_dict()


def write_png(spec: dict[str, Any], path: Path) -> Path:
    import vl_convert as vlc

    path.write_bytes(vlc.vegalite_to_png(spec, scale=1.5))
    return path
