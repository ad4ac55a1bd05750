"""Peers' programs over time: dated events (holdings, purchases, sales, transfers, reviews), each with its claimant
and source, and the disputes where two sources disagree (both kept, shown side by side).

Parsed from data/peers/history.toml. An event without an exact date (YYYY-MM-DD) or without a URL or document
reference is refused when the file loads: nothing undated or unsourced reaches a page.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from biplomacy.core.errors import InputError, Issue

SERIES = {"reserve": "Reserve holdings and movements", "mining": "Mining capacity (MW)",
          "regulator": "Regulator and legal framework", "imf": "IMF programme and reviews"}
KINDS = frozenset({"holding", "purchase", "sale", "transfer", "estimate", "claim", "peak", "capacity", "plan", "law",
                   "agreement", "approval", "review"})
COUNTRIES = frozenset({"PK", "SV", "BT", "US"})


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    country: str
    series: str
    date: str  # YYYY-MM-DD
    kind: str
    text: str
    claimant: str
    source: str
    publisher: str
    url: str
    reference: str
    value: str | None = None  # exact, as written (BTC, MW, USD)
    unit: str | None = None
    change: str | None = None
    status: str | None = None
    estimate: bool = False
    dispute: str | None = None

    def cite(self) -> str:
        return f"{self.source}, {self.publisher}" + (f" <{self.url}>" if self.url else f" ({self.reference})")


def _text(row: dict[str, Any], key: str, where: str, issues: list[Issue], required: bool = True) -> str:
    value = row.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        if required or not isinstance(value, str):
            issues.append(Issue("history.field", f"{where}.{key}", "missing or not text"))
        return ""
    return value.strip()


def _event(row: Any, where: str, issues: list[Issue]) -> Event | None:
    if not isinstance(row, dict):
        issues.append(Issue("history.shape", where, "an [[event]] table is expected"))
        return None
    before = len(issues)
    fields = {k: _text(row, k, where, issues) for k in ("id", "country", "series", "date", "kind", "text", "claimant",
                                                         "source", "publisher")}
    url, reference = _text(row, "url", where, issues, False), _text(row, "reference", where, issues, False)
    if not url and not reference:
        issues.append(Issue("history.unsourced", where, "needs a url or a document reference"))
    if url and not url.startswith("https://"):
        issues.append(Issue("history.url", f"{where}.url", "must be an https:// address"))
    try:
        date.fromisoformat(fields["date"])
        if len(fields["date"]) != 10:
            raise ValueError
    except ValueError:
        issues.append(Issue("history.date", f"{where}.date", f"{fields['date']!r} is not an exact date YYYY-MM-DD"))
    if fields["country"] not in COUNTRIES:
        issues.append(Issue("history.country", f"{where}.country", f"one of {', '.join(sorted(COUNTRIES))}"))
    if fields["series"] not in SERIES:
        issues.append(Issue("history.series", f"{where}.series", f"one of {', '.join(SERIES)}"))
    if fields["kind"] not in KINDS:
        issues.append(Issue("history.kind", f"{where}.kind", f"one of {', '.join(sorted(KINDS))}"))
    numbers: dict[str, str | None] = {}
    for key in ("value", "change"):
        raw = row.get(key)
        if raw is None:
            numbers[key] = None
            continue
        try:
            ok = isinstance(raw, str) and Decimal(raw).is_finite()
        except InvalidOperation:
            ok = False
        if not ok:
            issues.append(Issue("history.number", f"{where}.{key}", f"{raw!r} is not an exact decimal in quotes"))
        numbers[key] = str(raw)
    if numbers["value"] is not None and not isinstance(row.get("unit"), str):
        issues.append(Issue("history.unit", f"{where}.unit", "a value needs its unit"))
    if len(issues) > before:
        return None
    return Event(**fields, url=url, reference=reference, value=numbers["value"], unit=row.get("unit"),
                 change=numbers["change"], status=row.get("status"), estimate=bool(row.get("estimate", False)),
                 dispute=row.get("dispute") or None)


def parse_history(text: str, where: str) -> tuple[Event, ...]:
    """Every event of the file, oldest first; all problems at once (InputError naming each)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: {exc}", field="history") from None
    issues: list[Issue] = []
    rows = doc.get("event", [])
    events = [e for i, row in enumerate(rows if isinstance(rows, list) else [])
              if (e := _event(row, f"{where}: event[{i}]", issues)) is not None]
    ids = [e.id for e in events]
    issues += [Issue("history.duplicate", where, f"event id {i} is used twice") for i in sorted(set(ids))
               if ids.count(i) > 1]
    if issues:
        raise InputError.from_issues(issues, where)
    return tuple(sorted(events, key=lambda e: (e.date, e.id)))


@dataclass(frozen=True, slots=True)
class Dispute:
    """Two or more sources that disagree on one matter: every side, oldest first."""

    key: str
    country: str
    sides: tuple[Event, ...]


def disputes(events: Iterable[Event]) -> tuple[Dispute, ...]:
    groups: dict[str, list[Event]] = {}
    for e in events:
        if e.dispute:
            groups.setdefault(e.dispute, []).append(e)
    return tuple(Dispute(k, v[0].country, tuple(v)) for k, v in sorted(groups.items()) if len(v) > 1)


def holdings_points(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The reserve figures in BTC as chart points: date, country, BTC, who says so, and whether an estimate.
    Only national figures: this installation's own (demo, rehearsal) never come here."""
    return [{"date": e.date, "country": e.country, "btc": float(Decimal(e.value)), "claimant": e.claimant,
             "estimate": "estimate" if e.estimate else "reported", "kind": e.kind}
            for e in events if e.series == "reserve" and e.value is not None and e.unit == "BTC"]
