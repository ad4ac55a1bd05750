"""The registry of every real-world default: value, unit, date and source, or an explicit assumption.

Facts live in data/facts/<pillar>[-<part>].toml (each part of a pillar owns its file). Code asks
the registry for a figure by key instead of writing the number down, so reports can list their sources.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from biplomacy.core.errors import InputError, Issue, NotFound

PILLARS = ("house", "energy", "reserve", "supervision", "peers")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a figure comes from."""

    title: str
    publisher: str
    date: str
    url: str = ""


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
        return f"{s.title}, {s.publisher}, {s.date}" + (f" <{s.url}>" if s.url else "")

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "pillar": self.pillar, "label": self.label, "value": self.value,
            "unit": self.unit, "date": self.date, "assumption": self.assumption,
            "source": None if self.source is None else {
                "title": self.source.title, "publisher": self.source.publisher,
                "date": self.source.date, "url": self.source.url,
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
                        str(row.get("url", ""))) if has_source else None
        facts.append(Fact(str(row["key"]), pillar, str(row["label"]), str(row["value"]), str(row["unit"]),
                          str(row["date"]), source, row.get("assumption")))
    return facts, issues


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
