"""The registry of every real-world default: value, unit, date and source, or an explicit assumption.

Facts live in data/facts/<pillar>[-<part>].toml (each part of a pillar owns its file). Code asks
the registry for a figure by key instead of writing the number down, so reports can list their sources.

Every fact has an exact `date` (YYYY-MM-DD): the day the figure is as of (the last day of the period when a
source gives only a month or a year: a July figure is as of 31 July), or, for an assumption with no such period, the
day it was made. A sourced fact also has `source_date` (YYYY-MM-DD: the day the source was published; the fact's date
when it is not given) and a `url` or a `reference` (a document and where in it: section, page, table), so a
reader can find it again. `standing = true` marks a rule in force (consensus rules, a statute) rather than a
measurement: it does not go stale with time. `stale()` lists the other figures older than a year.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from biplomacy.core.errors import InputError, Issue, NotFound

PILLARS = ("house", "energy", "reserve", "supervision", "peers")
STALE_AFTER_DAYS = 365
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a figure comes from."""

    title: str
    publisher: str
    date: str
    url: str = ""
    reference: str = ""  # the document and where in it (section, page, table) when there is no URL, or beside it


@dataclass(frozen=True, slots=True)
class Fact:
    """One real-world figure. `assumption` holds the reasoning when no source could be found."""

    key: str
    pillar: str
    label: str
    value: str
    unit: str
    date: str
    source: Source | None
    assumption: str | None = None
    standing: bool = False  # a rule in force (consensus rules, a statute), not a measurement: never stale

    @property
    def decimal(self) -> Decimal:
        try:
            return Decimal(self.value)
        except InvalidOperation:
            raise InputError(f"fact {self.key} is not numeric: {self.value!r}", field=self.key) from None

    @property
    def number(self) -> float:
        return float(self.decimal)

    def cite(self) -> str:
        if self.source is None:
            return f"assumption: {self.assumption}"
        s = self.source
        return (f"{s.title}, {s.publisher}, {s.date}" + (f", {s.reference}" if s.reference else "")
                + (f" <{s.url}>" if s.url else ""))

    def as_of(self) -> Date:
        return Date.fromisoformat(self.date)

    def age_days(self, today: Date) -> int:
        return (today - self.as_of()).days

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "pillar": self.pillar, "label": self.label, "value": self.value,
            "unit": self.unit, "date": self.date, "assumption": self.assumption, "standing": self.standing,
            "source": None if self.source is None else {
                "title": self.source.title, "publisher": self.source.publisher,
                "date": self.source.date, "url": self.source.url, "reference": self.source.reference,
            },
        }


def _parse(pillar: str, doc: dict[str, object], where: str) -> tuple[list[Fact], list[Issue]]:
    facts, issues = [], []
    rows = doc.get("fact", [])
    if not isinstance(rows, list):
        return [], [Issue("facts.shape", where, "expected [[fact]] tables")]
    for i, row in enumerate(rows):
        path = f"{where}: fact[{i}]"
        missing = [k for k in ("key", "label", "value", "unit", "date") if k not in row]
        if missing:
            issues.append(Issue("facts.missing", path, f"missing {', '.join(missing)}"))
            continue
        has_source = "source" in row and "publisher" in row
        if not has_source and not row.get("assumption"):
            issues.append(Issue("facts.unsourced", path, f"{row['key']} has neither a source nor an assumption"))
            continue
        source = Source(str(row["source"]), str(row["publisher"]), str(row.get("source_date", row["date"])),
                        str(row.get("url", "")), str(row.get("reference", ""))) if has_source else None
        found = _dating_issues(path, str(row["key"]), str(row["date"]), source)
        if found:
            issues.extend(found)
            continue
        facts.append(Fact(str(row["key"]), pillar, str(row["label"]), str(row["value"]), str(row["unit"]),
                          str(row["date"]), source, row.get("assumption"), bool(row.get("standing", False))))
    return facts, issues


def _dating_issues(path: str, key: str, day: str, source: Source | None) -> list[Issue]:
    """A fact needs an exact date; a sourced one also its source's date and a URL or a document reference."""
    found = []
    for what, value in (("date", day), ("source_date", source.date if source else day)):
        if not _DAY.match(value) or not _is_day(value):
            found.append(Issue("facts.date", path, f"{key}: {what} {value!r} is not an exact date (YYYY-MM-DD)"))
    if source is not None and not (source.url.strip() or source.reference.strip()):
        found.append(Issue("facts.link", path, f"{key} has a source but neither a url nor a reference "
                                               "(a document and where in it)"))
    if source is not None and source.url and not source.url.startswith(("https://", "http://")):
        found.append(Issue("facts.link", path, f"{key}: url {source.url!r} is not an http(s) address"))
    return found


def _is_day(value: str) -> bool:
    try:
        Date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Registry:
    facts: dict[str, Fact]

    def get(self, key: str) -> Fact:
        try:
            return self.facts[key]
        except KeyError:
            raise NotFound(f"no fact {key!r} in the provenance registry", field=key) from None

    def value(self, key: str) -> Decimal:
        return self.get(key).decimal

    def number(self, key: str) -> float:
        return self.get(key).number

    def for_pillar(self, pillar: str | None = None) -> list[Fact]:
        if pillar is not None and pillar not in PILLARS:
            raise InputError(f"pillar {pillar!r} is not one of {', '.join(PILLARS)}", field="pillar")
        return [f for f in self.facts.values() if pillar is None or f.pillar == pillar]

    def stale(self, today: Date, pillar: str | None = None) -> list[Fact]:
        """Figures older than a year on `today` (standing rules excluded), oldest first: what to refresh."""
        limit = today - timedelta(days=STALE_AFTER_DAYS)
        old = [f for f in self.for_pillar(pillar) if not f.standing and f.as_of() < limit]
        return sorted(old, key=lambda f: (f.date, f.key))

    def cited(self, keys: Iterable[str]) -> list[dict[str, object]]:
        """The source entries behind `keys`, for a report's `sources` list."""
        return [self.get(k).as_dict() for k in dict.fromkeys(keys)]


def parse_registry(texts: dict[str, str]) -> Registry:
    """Build a registry from {file stem: TOML text}; every problem is reported at once."""
    facts: dict[str, Fact] = {}
    issues: list[Issue] = []
    for name, text in texts.items():
        pillar = name.split("-")[0]  # supervision-aml.toml belongs to the supervision pillar
        where = f"facts/{name}.toml"
        if pillar not in PILLARS:
            issues.append(Issue("facts.pillar", where, f"file name must start with one of {', '.join(PILLARS)}"))
            continue
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            issues.append(Issue("facts.toml", where, str(exc)))
            continue
        found, bad = _parse(pillar, doc, where)
        issues.extend(bad)
        for f in found:
            if f.key in facts:
                issues.append(Issue("facts.duplicate", where, f"{f.key} is defined twice"))
            facts[f.key] = f
    if issues:
        raise InputError.from_issues(issues, "the provenance registry")
    return Registry(facts)


@cache
def load_registry() -> Registry:
    """The shipped registry (read once; it is data, not state)."""
    root = resources.files("biplomacy") / "data" / "facts"
    texts = {}
    for f in sorted(root.iterdir(), key=lambda t: t.name):
        if f.name.endswith(".toml"):
            texts[f.name.removesuffix(".toml")] = f.read_text(encoding="utf-8")
    return parse_registry(texts)
