"""Use case: compare the country programs (read this installation's live figures -> compare -> chart, CSV).

Pakistan's column shows this installation's own figures when it has them: the reserve ledger's holdings
and the newest stored energy plan's installed mining MW. Nothing is written; the stores are only read.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import altair as alt

from biplomacy.core.provenance import load_registry
from biplomacy.energy.plan import newest_plan
from biplomacy.house.audit_cache import PerAuditHead
from biplomacy.peers.model.programs import COUNTRIES, DIMENSIONS, Comparison, LiveFigure, compare
from biplomacy.peers.results import Country, DimensionRow, PeerComparison
from biplomacy.reserve.holdings import holdings
from biplomacy.store.db import Store

CSV_COLUMNS = ("dimension", "country", "kind", "text", "value", "unit", "date", "note", "sources")


def live_reserve(store: Store) -> LiveFigure | None:
    """The reserve ledger's live holdings, dated by the ledger's latest movement; None while it is empty."""
    data = holdings(store, None, public=True)
    if not data.history:
        return None
    return LiveFigure(data.total_btc, "BTC", data.history[-1].day, "this installation's ledger")


def live_plan(store: Store) -> LiveFigure | None:
    """Installed mining MW of the newest stored energy plan, labelled with its sizing and its risk-adjusted BTC a
    year (the energy page's headline); None when no plan is stored."""
    newest = newest_plan(store)
    if newest is None:
        return None
    s = newest.summary
    label = f"stored plan {newest.id}"
    if s.sizing is not None and s.btc_per_year_p50 is not None:
        label += (f", {s.sizing} sizing; {s.btc_per_year_p50:,.0f} BTC a year risk-adjusted P50 (P5 "
                  f"{s.btc_per_year_p5 or 0:,.0f}, P95 {s.btc_per_year_p95 or 0:,.0f})")
    return LiveFigure(Decimal(str(s.mining_mw_installed)), "MW", newest.created_at.date().isoformat(), label)


def comparison(store: Store | None, countries: tuple[str, ...] | None = None) -> PeerComparison:
    """The comparison; with a store, Pakistan's column uses its live figures where there are any."""
    codes = countries or tuple(COUNTRIES)
    if store is None or "PK" not in codes:
        return report(compare(load_registry(), codes))
    return report(compare(load_registry(), codes, reserve=live_reserve(store), plan=live_plan(store)))


def report(c: Comparison) -> PeerComparison:
    """The comparison with its rows labelled, the sources its cells cite and the reserve chart."""
    return PeerComparison(tuple(Country(code, COUNTRIES[code]) for code in c.countries),
                          tuple(DimensionRow(key, label, dict(c.cells[key])) for key, label in DIMENSIONS),
                          tuple(load_registry().cited(c.cited_keys())), reserve_chart(c))


class ComparisonCache:
    """The comparisons of one store, recomputed only when the audit log's head has moved.

    Ledger receipts and stored plans are audited in the transaction that writes them, so while the head is
    unchanged so are Pakistan's live figures; the public page then costs one indexed read, not a ledger walk.
    """

    def __init__(self) -> None:
        self._by_codes: PerAuditHead[tuple[str, ...], PeerComparison] = PerAuditHead(
            lambda store, _head, codes: comparison(store, codes))

    def get(self, store: Store, codes: tuple[str, ...]) -> PeerComparison:
        return self._by_codes.get(store, codes)


def reserve_chart(c: Comparison) -> dict[str, Any]:
    """A bar chart (Vega-Lite, via Altair) of reserve BTC by country: only the countries with a figure."""
    values = [{"country": COUNTRIES[code], "btc": float(Decimal(cell.value)), "as_of": cell.date or "",
               "kind": cell.kind}
              for code, cell in c.cells["reserve_btc"].items() if cell.value is not None]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("btc:Q", title="BTC held", axis=alt.Axis(tickCount=5)),
        y=alt.Y("country:N", title=None, sort="-x"),
        tooltip=["country:N", "btc:Q", "as_of:N", "kind:N"],
    ).properties(title="Reserve size (BTC)", width="container", height=140)
    return chart.to_dict()


def as_csv(c: PeerComparison) -> str:
    """One line per (dimension, country) cell, with the registry keys it cites."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for row in c.dimensions:
        for code, cell in row.cells.items():
            w.writerow([row.key, code, cell.kind, cell.text, cell.value or "", cell.unit or "", cell.date or "",
                        cell.note, ";".join(x.key for x in cell.cites)])
    return buf.getvalue()
