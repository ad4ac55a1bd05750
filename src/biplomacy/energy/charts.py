"""Chart specs of a plan (Altair / Vega-Lite): the hour x day heat map of mining MW and monthly energy by zone.

One spec, two outputs: PNG through vl-convert (offline, energy/plan_files.py) and the portal, which draws
the same spec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np

from biplomacy.energy.model.planner import PlanResult


def heatmap_spec(r: PlanResult) -> dict[str, Any]:
    return heatmap_from(list(r.hours), [float(v) for v in r.mining_mw.sum(axis=0)])


def heatmap_from(hours: Sequence[str], mining_mw: Sequence[float]) -> dict[str, Any]:
    values = [{"date": h[:10], "hour": int(h[11:13]), "mw": round(mw, 1)} for h, mw in zip(hours, mining_mw, strict=True)]
    # the day axis is labelled with the first day of each month present (a label per day would not fit)
    firsts = sorted({h[:10] for h in hours if h[8:10] == "01"})
    return _with_values(lambda data: alt.Chart(data).mark_rect().encode(
        x=alt.X("date:O", title="date", axis=alt.Axis(values=firsts, labelAngle=0, labelOverlap=True,
                                                      labelExpr="timeFormat(toDate(datum.value), '%b %Y')")),
        y=alt.Y("hour:O", title="hour of day (PKT)"),
        color=alt.Color("mw:Q", title="mining MW", scale=alt.Scale(scheme="viridis")),
        tooltip=["date:O", "hour:O", "mw:Q"],
    ).properties(title="Mining load, hour x day (winter and summer)", width=720, height=240), values)


def monthly_spec(r: PlanResult) -> dict[str, Any]:
    months = np.array([int(h[5:7]) for h in r.hours])
    return monthly_from({z: [float(r.mining_mw[i, months == m].sum()) for m in range(1, 13)]
                         for i, z in enumerate(r.zones)})


def monthly_from(monthly_mwh: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    values = [{"month": m + 1, "zone": z, "gwh": round(mwh / 1000.0, 2)}
              for z, series in monthly_mwh.items() for m, mwh in enumerate(series) if mwh > 0]
    return _with_values(lambda data: alt.Chart(data).mark_bar().encode(
        x=alt.X("month:O", title="month", axis=alt.Axis(labelAngle=0, labelExpr=(
            "['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'][datum.value - 1]"))),
        y=alt.Y("gwh:Q", title="mining energy (GWh)", stack=True),
        color=alt.Color("zone:N", title="zone"),
        tooltip=["zone:N", "month:O", "gwh:Q"],
    ).properties(title="Monthly mining energy by zone", width=520, height=260), values)


def _with_values(build: Callable[[alt.Data], alt.Chart], values: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart's spec, validated by Altair on its first row, with every row put in after.

    Altair checks inline data row by row against the Vega-Lite schema: 6 s for the 8,760 hours of the heat map
    on this machine, on every page view. The rows are plain values of one fixed shape, so checking the spec with
    one of them checks the same thing.
    """
    spec = build(alt.Data(values=values[:1])).to_dict()
    spec["data"] = {"values": values}
    return spec


def compare_zones_spec(a_name: str, b_name: str, mining_mw: Mapping[str, tuple[float | None, float | None]]
                       ) -> dict[str, Any]:
    """Two plans' mining MW per zone as grouped bars (the compare page's chart): zone -> (A's MW, B's MW)."""
    values = [{"zone": z, "plan": label, "mw": round(float(mw), 1)}
              for z, pair in sorted(mining_mw.items()) for label, mw in zip((f"A: {a_name}", f"B: {b_name}"), pair,
                                                                         strict=True) if mw is not None]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("zone:N", title="zone"),
        yOffset=alt.YOffset("plan:N"),
        x=alt.X("mw:Q", title="mining MW installed"),
        color=alt.Color("plan:N", title="plan", legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=["zone:N", "plan:N", alt.Tooltip("mw:Q", title="MW", format=",.1f")],
    ).properties(title="Mining MW per zone, A and B", width="container", height=alt.Step(14))
    return chart.to_dict()
