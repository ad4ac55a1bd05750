"""Use case: peers' programs over time, from the shipped, dated and sourced history (data/peers/history.toml).

Only national figures: this installation's demo and rehearsal figures are never read here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import altair as alt

from biplomacy.peers.model.history import SERIES, Event, disputes, holdings_points, parse_history
from biplomacy.peers.model.programs import COUNTRIES
from biplomacy.peers.results import CountryHistory, PeerHistory

HISTORY_FILE = "history.toml"


@cache
def shipped_events() -> tuple[Event, ...]:
    text = (resources.files("biplomacy") / "data" / "peers" / HISTORY_FILE).read_text(encoding="utf-8")
    return parse_history(text, f"data/peers/{HISTORY_FILE}")


def history(countries: tuple[str, ...] | None = None) -> PeerHistory:
    codes = countries or tuple(COUNTRIES)
    events = [e for e in shipped_events() if e.country in codes]
    per_country = tuple(
        CountryHistory(code, COUNTRIES[code], tuple(
            (key, label, tuple(e for e in events if e.country == code and e.series == key))
            for key, label in SERIES.items() if any(e.country == code and e.series == key for e in events)))
        for code in codes)
    sources = tuple({"id": e.id, "date": e.date, "source": e.source, "publisher": e.publisher, "url": e.url,
                     "reference": e.reference} for e in events)
    return PeerHistory(per_country, disputes(events), holdings_chart(events), sources)


def holdings_chart(events: list[Event]) -> dict[str, Any]:
    """Reserve BTC over time by country (Vega-Lite via Altair): reported figures as filled points, estimates
    hollow, each with who says so. National figures only."""
    values = [p | {"country": COUNTRIES[p["country"]]} for p in holdings_points(events)]
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("btc:Q", title="BTC held (as each source says)", scale=alt.Scale(type="log")),
        color=alt.Color("country:N", title="country"),
        tooltip=["country:N", "date:T", "btc:Q", "claimant:N", "estimate:N", "kind:N"],
    )
    lines = base.mark_line(opacity=0.5, interpolate="step-after")
    points = base.mark_point(size=60, filled=True).encode(
        shape=alt.Shape("estimate:N", title="figure"),
        fill=alt.condition(alt.datum.estimate == "estimate", alt.value("white"), alt.Color("country:N")))
    return (lines + points).properties(title="Reserve holdings over time (national figures only)",
                                       width="container", height=260).to_dict()
