"""The record the peers use case returns and `peers compare`, /peers and /api/v1/peers render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from biplomacy.core.records import Record
from biplomacy.peers.model.history import Dispute, Event
from biplomacy.peers.model.programs import Cell


@dataclass(frozen=True)
class Country(Record):
    code: str
    name: str


@dataclass(frozen=True)
class DimensionRow(Record):
    """One dimension of the comparison (e.g. "reserve_btc") with each country's cell, by country code."""

    key: str
    label: str
    cells: dict[str, Cell]


@dataclass(frozen=True)
class CountryHistory(Record):
    code: str
    name: str
    series: tuple[tuple[str, str, tuple[Event, ...]], ...]  # (series key, label, events oldest first)


@dataclass(frozen=True)
class PeerHistory(Record):
    """Each country's dated series, the disputes (every side), and a chart of reserve holdings over time."""

    countries: tuple[CountryHistory, ...]
    disputes: tuple[Dispute, ...]
    chart: dict[str, Any]
    sources: tuple[dict[str, str], ...]  # one per event: id, source, publisher, url or reference, date


@dataclass(frozen=True)
class PeerComparison(Record):
    """Country programs side by side: one row per dimension, the registry facts the cells cite, a reserve chart.

    Its JSON (`to_json`) is its fields by name: /api/v1/peers and `peers compare --json`.
    """

    countries: tuple[Country, ...]
    dimensions: tuple[DimensionRow, ...]
    sources: tuple[Mapping[str, Any], ...]  # Registry.cited: key, label, value, unit, date, source or assumption
    chart: dict[str, Any]  # Vega-Lite spec of reserve BTC over time by country (national figures only)
    history: PeerHistory  # each country's dated series and the disputes between sources


@dataclass(frozen=True)
class KeyCreated(Record):
    """`peers key new`: the public key to publish and pin, and where the private key was written."""

    public_key: str
    key_file: str


@dataclass(frozen=True)
class BuiltBundle(Record):
    """A signed bundle ready to be written: its text (the file), its SHA-256 and what it holds."""

    text: str
    sha256: str
    manifest: Mapping[str, Any]
    left_out: tuple[str, ...]  # parts this installation has nothing of (e.g. no signed statement yet)

    def to_json(self) -> dict[str, Any]:
        m = self.manifest
        return {"sha256": self.sha256, "issuer": m["issuer"], "bundle_version": m["bundle_version"],
                "issued_at": m["issued_at"], "expires_at": m["expires_at"],
                "parts": [{"name": p["name"], "kind": p["kind"], "sha256": p["sha256"]} for p in m["parts"]],
                "left_out": list(self.left_out), "sources": len(m["sources"])}


@dataclass(frozen=True)
class PartDiff(Record):
    """One part of a peer's bundle against what this installation has: the changes adopting it would bring."""

    name: str
    kind: str
    title: str
    sha256: str
    changes: tuple[Mapping[str, Any], ...]  # path, change (added/removed/changed), ours, theirs (the first 200)
    changes_total: int
    ours: str  # what the part was compared with here
    adopted: bool = False
    already_adopted: bool = False


@dataclass(frozen=True)
class BundleCheck(Record):
    """A bundle verified against a pinned key: valid only with no problem; the diff of each part when valid."""

    valid: bool
    problems: tuple[Mapping[str, str], ...]  # code, path, message: every one found
    sha256: str
    trusted_key: str
    issuer: Mapping[str, Any] | None
    bundle_version: str | None
    issued_at: str | None
    expires_at: str | None
    parts: tuple[PartDiff, ...] = ()
    adopted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adoption(Record):
    id: int
    bundle_sha256: str
    part: str
    kind: str
    part_sha256: str
    program: str
    country: str
    public_key: str
    issued_at: str
    adopted_at: str
    adopted_by: str


@dataclass(frozen=True)
class PublishedBundle(Record):
    id: int
    sha256: str
    program: str
    country: str
    public_key: str
    bundle_version: str
    issued_at: str
    expires_at: str
    parts: tuple[str, ...]
