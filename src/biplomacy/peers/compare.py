"""Use case: compare the country programs (national, published figures) -> chart, CSV.

Nothing of this installation is read: its reserve ledger and plans are demo, rehearsal or analysis figures and
are never drawn beside national ones (they are on the reserve and energy pages).
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import Any

from biplomacy.core.provenance import load_registry
from biplomacy.peers.history import history, holdings_chart, shipped_events
from biplomacy.peers.model.programs import COUNTRIES, DIMENSIONS, Comparison, compare
from biplomacy.peers.results import Country, DimensionRow, PeerComparison

CSV_COLUMNS = ("dimension", "country", "kind", "text", "value", "unit", "date", "note", "sources")


@lru_cache(maxsize=32)
def comparison(countries: tuple[str, ...] | None = None) -> PeerComparison:
    """The comparison of `countries` (all four by default), with their history and its chart (shipped data only,
    so computed once per selection)."""
    codes = countries or tuple(COUNTRIES)
    return report(compare(load_registry(), codes))


def report(c: Comparison) -> PeerComparison:
    """The comparison with its rows labelled, the sources its cells cite, the dated history and its chart."""
    return PeerComparison(tuple(Country(code, COUNTRIES[code]) for code in c.countries),
                          tuple(DimensionRow(key, label, dict(c.cells[key])) for key, label in DIMENSIONS),
                          tuple(load_registry().cited(c.cited_keys())), reserve_chart(c.countries),
                          history(c.countries))


def reserve_chart(codes: tuple[str, ...]) -> dict[str, Any]:
    """Reserve holdings over time of the countries asked for (national figures only)."""
    return holdings_chart([e for e in shipped_events() if e.country in codes])


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
