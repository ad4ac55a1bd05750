"""The record the peers use case returns and `peers compare`, /peers and /api/v1/peers render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from biplomacy.core.records import Record
from biplomacy.peers.model.programs import Cell


@dataclass(frozen=True)
class Country:
    code: str
    name: str


@dataclass(frozen=True)
class DimensionRow:
    """One dimension of the comparison (e.g. "reserve_btc") with each country's cell, by country code."""

    key: str
    label: str
    cells: dict[str, Cell]


@dataclass(frozen=True)
class PeerComparison(Record):
    """Country programs side by side: one row per dimension, the registry facts the cells cite, a reserve chart.

    Its JSON (`to_json`) is its fields by name: /api/v1/peers and `peers compare --json`.
    """

    countries: tuple[Country, ...]
    dimensions: tuple[DimensionRow, ...]
    sources: tuple[Mapping[str, Any], ...]  # Registry.cited: key, label, value, unit, date, source or assumption
    chart: dict[str, Any]  # Vega-Lite spec of reserve BTC by country
