"""Supervisory returns: validation against the published JSON Schema plus consistency rules, and due dates.

Every problem comes back at once, each with its field path (client_assets[0].amount), so a VASP fixes
its file in one round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from biplomacy.core.errors import InputError, Issue

SCHEMA_NAME = "supervisory-return-v1.json"


@cache
def schema() -> dict[str, Any]:
    """The published schema (src/biplomacy/data/schemas/supervisory-return-v1.json)."""
    text = (resources.files("biplomacy") / "data" / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_issues(doc: Any) -> list[Issue]:
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    issues = []
    for e in validator.iter_errors(doc):
        path = _path(e.absolute_path)
        if e.validator == "required" or e.validator == "additionalProperties":
            issues.append(Issue(f"returns.{e.validator}", path, e.message))
        else:
            issues.append(Issue(f"returns.{e.validator}", path or "(document)", e.message))
    return sorted(issues, key=lambda i: (i.path, i.code))


# --- consistency rules: small pure functions in one tuple ------------------------------------------------
def _accounts_consistent(doc: dict[str, Any]) -> list[Issue]:
    a = doc["accounts"]
    return [Issue("returns.accounts", "accounts.active", f"active accounts ({a['active']}) exceed the total "
                  f"({a['total']})")] if a["active"] > a["total"] else []


def _complaints_consistent(doc: dict[str, Any]) -> list[Issue]:
    c = doc["complaints"]
    return [Issue("returns.complaints", "complaints.resolved", f"resolved ({c['resolved']}) exceeds received "
                  f"({c['received']}) plus none carried over")] if c["resolved"] > c["received"] + c["open"] else []


def _assets_listed_once(doc: dict[str, Any]) -> list[Issue]:
    out = []
    for key in ("client_assets", "onchain_reserves"):
        seen: set[str] = set()
        for i, row in enumerate(doc[key]):
            if row["asset"] in seen:
                out.append(Issue("returns.duplicate", f"{key}[{i}].asset", f"{row['asset']} is listed twice"))
            seen.add(row["asset"])
    return out


def _reporting_after_period(doc: dict[str, Any]) -> list[Issue]:
    _start, end = period_bounds(doc["period"])
    day = date.fromisoformat(doc["reporting_date"])
    if day > end.replace(year=end.year + 1):  # a date such as 9999-12-31 was stored as given (#20)
        return [Issue("returns.reporting_date", "reporting_date", f"{day} is more than a year after the end of "
                      f"{doc['period']} ({end})")]
    return [Issue("returns.reporting_date", "reporting_date", f"{day} is before the end of {doc['period']} "
                  f"({end})")] if day < end else []


def _incidents_in_period(doc: dict[str, Any]) -> list[Issue]:
    start, end = period_bounds(doc["period"])
    return [Issue("returns.incident", f"incidents[{i}].date", f"{x['date']} is outside {doc['period']}")
            for i, x in enumerate(doc["incidents"]) if not start <= date.fromisoformat(x["date"]) <= end]


RULES: tuple[Callable[[dict[str, Any]], list[Issue]], ...] = (
    _accounts_consistent, _complaints_consistent, _assets_listed_once, _reporting_after_period, _incidents_in_period,
)


def return_issues(doc: Any) -> list[Issue]:
    """Every problem of a return: schema first; the consistency rules run once the shape is right."""
    issues = schema_issues(doc)
    if issues:
        return issues
    return [i for rule in RULES for i in rule(doc)]


def validate_return(doc: Any) -> dict[str, Any]:
    if issues := return_issues(doc):
        raise InputError.from_issues(issues, "supervisory return")
    result: dict[str, Any] = doc
    return result


def parse_period(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-Q[1-4]", text.strip()):
        raise InputError(f"period {text!r} is not YYYY-Qn (e.g. 2025-Q3)", field="period")
    return text.strip()


def period_bounds(period: str) -> tuple[date, date]:
    year, q = int(period[:4]), int(period[-1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def due_date(period: str, days_after: int) -> date:
    return period_bounds(period)[1] + timedelta(days=days_after)


@dataclass(frozen=True)
class ReturnCoverage:
    """One asset of a return: client assets owed and on-chain reserves held (smallest unit), and their ratio."""

    client_assets: int
    reserves: int
    ratio: Decimal | None  # reserves / client assets, 4 places; None when nothing is owed


def coverage(doc: dict[str, Any]) -> dict[str, ReturnCoverage]:
    """Per asset, in asset order: what the return says is owed and held, and the reserve ratio."""
    owed = {r["asset"]: int(r["amount"]) for r in doc["client_assets"]}
    held = {r["asset"]: int(r["amount"]) for r in doc["onchain_reserves"]}
    out = {}
    for asset in sorted(set(owed) | set(held)):
        o, h = owed.get(asset, 0), held.get(asset, 0)
        out[asset] = ReturnCoverage(o, h, None if o == 0 else (Decimal(h) / Decimal(o)).quantize(Decimal("0.0001")))
    return out
