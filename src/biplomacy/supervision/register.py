"""Use cases of the public register: the register as of a date, its CSV/JSON export, and the warnings list."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.store.db import Store
from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import Activity, State
from biplomacy.supervision.model.register import (
    AUTHORITY,
    Entity,
    Entry,
    Event,
    Warning,
    register_as_of,
    to_csv,
    warnings_as_of,
)
from biplomacy.supervision.results import RegisterEntry, RegisterEvent, RegisterView, RegisterWarning, WarningPublished
from biplomacy.supervision.tables import (
    LicenceEventRow,
    LicenceRow,
    SandboxCohortRow,
    SolvencyReportRow,
    StablecoinAttestationRow,
    WarningRow,
)

SOURCES = ("supervision.register.model", "supervision.taxonomy.model", "supervision.regulator")
# What the register shows of a recorded attestation check: verdict, ratios and each breach's rule and figures.
PUBLIC_VERDICT = ("token", "as_of", "currency", "compliant", "backing_ratio", "liquid_share", "outstanding",
                  "reserves_total", "breaches")


def parse_as_of(text: str | None) -> date:
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"as-of date {text!r} is not YYYY-MM-DD", field="as_of") from None


def _entities(session: Session) -> list[Entity]:
    cohorts = {c.id: c.name for c in session.scalars(select(SandboxCohortRow))}
    events: dict[int, list[Event]] = {}
    for e in session.scalars(select(LicenceEventRow).order_by(LicenceEventRow.at, LicenceEventRow.id)):
        if e.to_state:
            events.setdefault(e.licence_id, []).append(
                Event(e.at.date(), State(e.to_state), e.reason, tuple(json.loads(e.conditions))))
    solvency: dict[int, dict[date, str]] = {}
    for s in session.scalars(select(SolvencyReportRow).order_by(SolvencyReportRow.recorded_at)):
        ratios = [v["ratio"] for v in json.loads(s.coverage).values() if v.get("ratio") is not None]
        if ratios:
            solvency.setdefault(s.licence_id, {})[s.recorded_at.date()] = min(ratios, key=lambda r: float(r))
    stablecoin: dict[int, dict[str, dict[date, dict[str, Any]]]] = {}
    for a in session.scalars(select(StablecoinAttestationRow).order_by(StablecoinAttestationRow.recorded_at,
                                                                       StablecoinAttestationRow.id)):
        result = json.loads(a.result)
        stablecoin.setdefault(a.licence_id, {}).setdefault(a.token, {})[a.recorded_at.date()] = \
            {k: result.get(k) for k in PUBLIC_VERDICT}
    return [Entity(reference=r.reference, identity=Identity.of(r), activities=tuple(Activity(a) for a in json.loads(r.activities)),
                   events=tuple(events.get(r.id, [])), sandbox=cohorts.get(r.cohort_id) if r.cohort_id else None,
                   solvency=solvency.get(r.id, {}), fictional=r.fictional, stablecoin=stablecoin.get(r.id, {}))
            for r in session.scalars(select(LicenceRow).order_by(LicenceRow.id))]


def _warnings(session: Session) -> list[Warning]:
    return [Warning(w.name, w.website, w.kind, w.details, w.published_on, w.withdrawn_on, w.fictional)
            for w in session.scalars(select(WarningRow))]


def register_view(store: Store, *, as_of: date | None = None, query: str = "") -> RegisterView:
    """The register and warnings on `as_of` (default today). Public: no permission needed to read it."""
    day = as_of or datetime.now(UTC).date()
    with store.read() as session:
        entries = register_as_of(_entities(session), day, query)
        warns = warnings_as_of(_warnings(session), day)
    from biplomacy.core.provenance import load_registry

    return RegisterView(AUTHORITY, day, query, tuple(_entry(e) for e in entries),
                        tuple(RegisterWarning(w.name, w.website, w.kind, w.details, w.published_on, w.fictional)
                              for w in warns),
                        tuple(load_registry().cited(SOURCES)))


def _entry(entry: Entry) -> RegisterEntry:
    e = entry.entity
    return RegisterEntry(reference=e.reference, identity=e.identity, activities=e.activities, status=entry.status,
                         authorised_on=entry.authorised_on, ended_on=entry.ended_on, conditions=entry.conditions,
                         last_update=entry.last_update, sandbox=e.sandbox, solvency_ratio=entry.solvency_ratio,
                         fictional=e.fictional, stablecoin=entry.stablecoin,
                         history=tuple(RegisterEvent(h.on, h.to_state, h.reason, h.conditions) for h in entry.history))


def register_csv(store: Store, *, as_of: date | None = None, query: str = "") -> str:
    day = as_of or datetime.now(UTC).date()
    with store.read() as session:
        return to_csv(register_as_of(_entities(session), day, query))


def publish_warning(store: Store, actor: Actor, name: str, kind: str, details: str, *, website: str = "",
                    published_on: date | None = None, fictional: bool = False) -> WarningPublished:
    """Add an entity to the public warnings list (unlicensed or non-compliant)."""
    from biplomacy.house.audit import record

    authorize(actor, "licensing.review")
    if kind not in {"unlicensed", "non_compliant"}:
        raise InputError(f"warning kind {kind!r} is not unlicensed or non_compliant", field="kind")
    if not name.strip() or not details.strip():
        raise InputError("a warning needs the entity's name and the details", field="name")
    day = published_on or datetime.now(UTC).date()
    with store.transaction() as session:
        row = WarningRow(name=name.strip(), website=website, kind=kind, details=details.strip(), published_on=day,
                         fictional=fictional)
        session.add(row)
        session.flush()
        record(session, actor=actor.name, action="register.warning", subject=name.strip(),
               payload={"kind": kind, "details": details.strip(), "published_on": day.isoformat()})
        return WarningPublished(row.id, row.name, kind, day)


def register_chart(entries: Iterable[RegisterEntry]) -> dict[str, Any] | None:
    """A Vega-Lite spec (Altair) of register entries: entities per activity, coloured by status."""
    import altair as alt

    counts: dict[tuple[str, str], int] = {}
    for e in entries:
        for activity in e.activities:
            key = (activity.value, e.status.value.replace("_", " "))
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return None
    values = [{"activity": a, "status": s, "entities": n} for (a, s), n in sorted(counts.items())]
    spec: dict[str, Any] = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("activity:N", title=None), x=alt.X("entities:Q", title="entities", stack="zero",
                                                axis=alt.Axis(values=list(range(0, _most(counts) + 1)), format="d")),
        color=alt.Color("status:N", title="status", legend=alt.Legend(orient="bottom", columns=1)),
        tooltip=["activity:N", "status:N", "entities:Q"]).properties(
        width="container", title=alt.TitleParams("Entities by activity and status", anchor="start", frame="bounds"),
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).to_dict()  # labels and legend fit a phone
    return spec


def _most(counts: dict[tuple[str, str], int]) -> int:
    """The longest bar: the most entities any one activity has, over all statuses."""
    per: dict[str, int] = {}
    for (activity, _status), n in counts.items():
        per[activity] = per.get(activity, 0) + n
    return max(per.values())
