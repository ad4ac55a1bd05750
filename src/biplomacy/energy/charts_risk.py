"""The Monte Carlo fan chart as one Vega-Lite spec (Altair), shown in the portal and written as PNG or SVG
(energy/risk_files.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from biplomacy.energy.model.risk import Band

_SERIES = (
    ("BTC price (USD)", "price_usd"),
    ("Cumulative BTC mined", "cumulative_btc"),
    ("Cumulative net cash after capex (USD)", "cumulative_net_usd"),
)


def fan_rows(bands: Sequence[Band]) -> list[dict[str, Any]]:
    """Long-form rows (series, day, p5, p50, p95) behind the chart; also what the portal's table shows."""
    rows = []
    for b in bands:
        for label, attr in _SERIES:
            p5, p50, p95 = getattr(b, attr)
            rows.append({"series": label, "day": b.day, "p5": p5, "p50": p50, "p95": p95})
    return rows


def fan_chart_spec(bands: Sequence[Band], title: str) -> dict[str, Any]:
    """Three stacked panels (price, BTC mined, net cash), each a P5-P95 band around the median by day.

    Altair checks inline data row by row against the Vega-Lite schema (over a second for five years of days),
    so each panel is built and checked with its first row and gets all its rows after: same spec, checked once.
    """
    rows = fan_rows(bands)
    series = [[r for r in rows if r["series"] == label] for label, _ in _SERIES]
    panels = []
    for (label, _), values in zip(_SERIES, series, strict=True):
        base = alt.Chart(alt.Data(values=values[:1])).encode(x=alt.X("day:Q", title="day of the horizon"))
        band = base.mark_area(opacity=0.3).encode(y=alt.Y("p5:Q", title=label), y2="p95:Q")
        median = base.mark_line().encode(
            y="p50:Q", tooltip=[alt.Tooltip("day:Q"), alt.Tooltip("p5:Q", format=",.2f"),
                                alt.Tooltip("p50:Q", format=",.2f"), alt.Tooltip("p95:Q", format=",.2f")])
        panels.append(alt.layer(band, median).properties(width=560, height=140))
    chart = alt.vconcat(*panels).properties(
        title=alt.Title(title, subtitle="shaded: P5 to P95 of the paths; line: median (P50)"))
    spec = chart.to_dict()
    for panel, values in zip(spec["vconcat"], series, strict=True):
        panel["data"] = {"values": values}  # Altair puts a layer's shared data on the layer
    spec["description"] = f"{title}: fan chart of BTC price, cumulative BTC mined and cumulative net cash, P5-P95"
    return spec
