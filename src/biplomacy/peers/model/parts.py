"""The kinds of part an exchange bundle may hold, as a registry: each kind names its schema and its checks.

A new kind (AML rule profiles in the calibrated format of issue #16, say `aml-profile`) is one `PartKind` added
to `PART_KINDS`, with the fields its content must have; verification, diffs and adoption need nothing else.
Contents are plain JSON: exact amounts travel as strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from biplomacy.core.errors import Issue

Check = Callable[[Any, str], list[Issue]]


def _fields(required: Mapping[str, type | tuple[type, ...]]) -> Check:
    """A check that `content` is an object holding each required key with a value of its type."""

    def check(content: Any, where: str) -> list[Issue]:
        if not isinstance(content, dict):
            return [Issue("schema", where, "a part's content must be an object")]
        return [Issue("schema", f"{where}.{k}", f"missing or not {_name(t)}")
                for k, t in required.items() if not _is(content.get(k), t)]
    return check


def _is(value: Any, t: type | tuple[type, ...]) -> bool:
    """isinstance, except that a JSON true/false is no number."""
    return isinstance(value, t) and (not isinstance(value, bool) or t is bool)


def _items(key: str, required: Mapping[str, type | tuple[type, ...]]) -> Check:
    """A check that content[key] is a list of objects, each with the required keys and types."""

    def check(content: Any, where: str) -> list[Issue]:
        rows = content.get(key) if isinstance(content, dict) else None
        if not isinstance(rows, list):
            return []  # _fields reports the missing list
        out = []
        for i, row in enumerate(rows):
            bad = [k for k, t in required.items() if not isinstance(row, dict) or not _is(row.get(k), t)]
            if bad:
                out.append(Issue("schema", f"{where}.{key}[{i}]", f"missing or mistyped {', '.join(bad)}"))
        return out
    return check


def _name(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in t) if isinstance(t, tuple) else f"a {t.__name__}"


def _numbers(key: str) -> Check:
    def check(content: Any, where: str) -> list[Issue]:
        values = content.get(key) if isinstance(content, dict) else None
        if not isinstance(values, dict):
            return []
        return [Issue("schema", f"{where}.{key}.{k}", "must be a number")
                for k, v in values.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    return check


@dataclass(frozen=True, slots=True)
class PartKind:
    """One kind of part: its name, a title for people, its schema version, its checks, and the field that
    identifies an item of a list in a diff (so a reordered list is not a change)."""

    name: str
    title: str
    schema: int
    checks: tuple[Check, ...]
    item_keys: tuple[str, ...] = field(default=("name", "key", "lei", "rule", "item", "state"))


STR, NUM = str, (int, float)
PART_KINDS: dict[str, PartKind] = {k.name: k for k in (
    PartKind("policy-profiles", "Reserve policy profiles, as rules", 1, (
        _fields({"profiles": list, "figures": list}),
        _items("profiles", {"name": STR, "rules": list}),
        _items("figures", {"key": STR, "value": STR, "unit": STR, "date": STR}),
    )),
    PartKind("aml-rules", "AML rule thresholds and typologies, with their evaluation scores", 1, (
        _fields({"thresholds_version": STR, "thresholds": dict, "thresholds_toml": STR, "typologies": list,
                 "evaluation": dict}),
        _numbers("thresholds"),
        _items("typologies", {"rule": STR, "description": STR}),
    )),
    PartKind("licensing", "Licensing checklist and the licence state machine", 1, (
        _fields({"states": list, "transitions": list, "checklist": list, "service_days": dict}),
        _items("transitions", {"from": STR, "to": STR}),
        _items("checklist", {"item": STR}),
    )),
    PartKind("register-extract", "Extract of the public register of licensed entities", 1, (
        _fields({"as_of": STR, "entries": list}),
        _items("entries", {"name": STR, "status": STR}),
    )),
    PartKind("energy-scenario", "Energy scenario and tariff method", 1, (
        _fields({"name": STR, "scenario_toml": STR, "tariffs": list, "tariff_method": list}),
        _items("tariffs", {"name": STR, "pkr_per_kwh": STR}),
    )),
    PartKind("reserve-statement", "Signed reserve statement", 1, (
        _fields({"statement": dict, "rehearsal": bool}),
    )),
    PartKind("cited-facts", "Cited facts (value, unit, date and source of each)", 1, (
        _fields({"facts": list}),
        _items("facts", {"key": STR, "value": STR, "unit": STR, "date": STR}),
    )),
)}


def check_part(kind: str, content: Any, where: str) -> list[Issue]:
    """Every schema problem of one part's content (an unknown kind is one)."""
    spec = PART_KINDS.get(kind)
    if spec is None:
        return [Issue("schema", where, f"unknown part kind {kind!r}; known: {', '.join(PART_KINDS)}")]
    return [issue for check in spec.checks for issue in check(content, where)]
