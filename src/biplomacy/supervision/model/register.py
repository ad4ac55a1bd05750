"""The public register as of a date: licensed entities, their activities, conditions and history, and warnings.

Its CSV follows the columns of ESMA's interim MiCA register of CASPs (CASPS.csv: ae_* entity fields,
ac_* authorisation fields), then PVARA's own columns prefixed pv_, so tools built for the EU file read it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from biplomacy.core.csv_cells import safe_cell
from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import ENDING, LICENSED, MICA_SERVICE, ON_REGISTER, Activity, State

AUTHORITY = "Pakistan Virtual Assets Regulatory Authority (PVARA)"
ESMA_CASP_COLUMNS = (
    "ae_competentAuthority", "ae_homeMemberState", "ae_lei_name", "ae_lei", "ae_lei_cou_code",
    "ae_commercial_name", "ae_address", "ae_website", "ae_website_platform", "ac_authorisationNotificationDate",
    "ac_authorisationEndDate", "ac_serviceCode", "ac_serviceCode_cou", "ac_comments", "ac_lastupdate",
)
PV_COLUMNS = ("pv_reference", "pv_status", "pv_activities", "pv_conditions", "pv_sandbox", "pv_solvency_ratio",
              "pv_stablecoin_reserves", "pv_fictional")
COLUMNS = ESMA_CASP_COLUMNS + PV_COLUMNS


@dataclass(frozen=True)
class Event:
    on: date
    to_state: State
    reason: str
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    """What the register needs of one licence, as plain values."""

    reference: str
    identity: Identity
    activities: tuple[Activity, ...]
    events: tuple[Event, ...]  # in order
    sandbox: str | None = None
    solvency: dict[date, str] = field(default_factory=dict)  # report date -> lowest per-asset ratio
    fictional: bool = False
    # token -> date recorded -> the reserve rules' verdict on the issuer's attestation (the last recorded that day)
    stablecoin: dict[str, dict[date, dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Warning:
    name: str
    website: str
    kind: str  # unlicensed | non_compliant
    details: str
    published_on: date
    withdrawn_on: date | None = None
    fictional: bool = False


@dataclass(frozen=True)
class Entry:
    entity: Entity
    status: State
    authorised_on: date
    ended_on: date | None
    conditions: tuple[str, ...]
    last_update: date
    history: tuple[Event, ...]
    solvency_ratio: str | None
    stablecoin: tuple[dict[str, Any], ...] = ()  # per token, the latest attestation verdict recorded by then


def entry_as_of(entity: Entity, as_of: date) -> Entry | None:
    """The entity's register entry on `as_of`, or None if it had not been authorised by then."""
    past = [e for e in entity.events if e.on <= as_of]
    first = next((i for i, e in enumerate(past) if e.to_state in LICENSED), None)
    if first is None or past[-1].to_state not in ON_REGISTER:
        return None
    public = tuple(past[first:])
    conditions: tuple[str, ...] = ()
    for e in public:
        if e.to_state in LICENSED:
            conditions = e.conditions
    last = public[-1]
    ended = last.on if last.to_state in ENDING else None
    reports = [d for d in entity.solvency if d <= as_of]
    ratio = entity.solvency[max(reports)] if reports else None
    return Entry(entity, last.to_state, public[0].on, ended, conditions, last.on, public, ratio,
                 stablecoin_as_of(entity, as_of))


def stablecoin_as_of(entity: Entity, as_of: date) -> tuple[dict[str, Any], ...]:
    """For each token, the verdict of the latest attestation recorded on or before `as_of`."""
    out = []
    for token in sorted(entity.stablecoin):
        by_day = entity.stablecoin[token]
        days = [d for d in by_day if d <= as_of]
        if days:
            out.append({**by_day[max(days)], "recorded_on": max(days).isoformat()})
    return tuple(out)


def stablecoin_summary(verdicts: Iterable[dict[str, Any]]) -> str:
    """One line per token for the CSV: verdict, backing ratio and the rules breached."""
    parts = []
    for v in verdicts:
        rules = sorted({b["rule"] for b in v["breaches"]})
        verdict = "compliant" if v["compliant"] else f"breaches {' + '.join(rules)}"
        parts.append(f"{v['token']} as of {v['as_of']}: {verdict}; backing ratio {v['backing_ratio'] or 'n/a'}")
    return " | ".join(parts)


def register_as_of(entities: Iterable[Entity], as_of: date, query: str = "") -> list[Entry]:
    """Entries on `as_of`, optionally filtered by a case-insensitive search over names, LEI and reference."""
    q = query.strip().lower()
    out = []
    for ent in entities:
        who = ent.identity
        if q and q not in " ".join([who.legal_name, who.commercial_name, who.lei or "", ent.reference,
                                    *[a.value for a in ent.activities]]).lower():
            continue
        entry = entry_as_of(ent, as_of)
        if entry is not None:
            out.append(entry)
    return sorted(out, key=lambda e: e.entity.identity.legal_name.lower())


def warnings_as_of(warnings: Iterable[Warning], as_of: date) -> list[Warning]:
    return sorted((w for w in warnings if w.published_on <= as_of and (w.withdrawn_on is None
                                                                        or w.withdrawn_on > as_of)),
                  key=lambda w: (w.published_on, w.name))


def csv_row(entry: Entry) -> dict[str, str]:
    e, who = entry.entity, entry.entity.identity
    return {
        "ae_competentAuthority": AUTHORITY, "ae_homeMemberState": who.country, "ae_lei_name": who.legal_name,
        "ae_lei": who.lei or "", "ae_lei_cou_code": who.country if who.lei else "",
        "ae_commercial_name": who.commercial_name,
        "ae_address": who.address, "ae_website": who.website, "ae_website_platform": who.website,
        "ac_authorisationNotificationDate": entry.authorised_on.isoformat(),
        "ac_authorisationEndDate": "" if entry.ended_on is None else entry.ended_on.isoformat(),
        "ac_serviceCode": " | ".join(MICA_SERVICE[a] for a in e.activities),
        "ac_serviceCode_cou": who.country,
        "ac_comments": f"status {entry.status.value}" + (f"; conditions: {'; '.join(entry.conditions)}"
                                                         if entry.conditions else ""),
        "ac_lastupdate": entry.last_update.isoformat(),
        "pv_reference": e.reference, "pv_status": entry.status.value,
        "pv_activities": " | ".join(a.value for a in e.activities), "pv_conditions": " | ".join(entry.conditions),
        "pv_sandbox": e.sandbox or "", "pv_solvency_ratio": entry.solvency_ratio or "",
        "pv_stablecoin_reserves": stablecoin_summary(entry.stablecoin),
        "pv_fictional": "true" if e.fictional else "false",
    }


def to_csv(entries: Sequence[Entry]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for entry in entries:
        w.writerow({k: safe_cell(v) for k, v in csv_row(entry).items()})  # applicants type names and websites
    return buf.getvalue()
