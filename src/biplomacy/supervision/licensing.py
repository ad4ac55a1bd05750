"""Use cases of the licensing workflow: apply, move a licence through its states, show it, list what is overdue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.store.db import Store
from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import (
    FINAL,
    Activity,
    LicenceChange,
    Standing,
    State,
    move,
    parse_application,
    parse_state,
    required_documents,
    submission_issues,
    transition_permission,
)
from biplomacy.supervision.model.licensing import overdue as overdue_since
from biplomacy.supervision.results import (
    ChecklistItem,
    CohortStatus,
    LicenceEvent,
    LicenceView,
    OverdueLicence,
    SandboxCohort,
    SandboxPlace,
)
from biplomacy.supervision.tables import LicenceEventRow, LicenceRow, SandboxCohortRow

SERVICE_DAYS_KEYS = {
    State.SUBMITTED: "supervision.licensing.days_submitted",
    State.UNDER_REVIEW: "supervision.licensing.days_under_review",
    State.INFORMATION_REQUESTED: "supervision.licensing.days_information_requested",
}


def service_days() -> dict[State, int]:
    reg = load_registry()
    return {s: int(reg.value(k)) for s, k in SERVICE_DAYS_KEYS.items()}


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def find_licence(session: Session, ident: str) -> LicenceRow:
    """A licence by its reference (PVARA-2025-0001) or numeric id."""
    ident = str(ident).strip()
    row = session.scalars(select(LicenceRow).where(LicenceRow.reference == ident.upper())).first()
    if row is None and ident.isdigit():
        row = session.get(LicenceRow, int(ident))
    if row is None:
        raise NotFound(f"no licence or application {ident!r}", field="id")
    return row


def _audit(session: Session, actor: Actor, action: str, subject: str, payload: dict[str, Any]) -> None:
    from biplomacy.house.audit import record

    record(session, actor=actor.name, action=action, subject=subject, payload=payload)


def record_move(session: Session, row: LicenceRow, actor: str, change: LicenceChange, reason: str) -> None:
    """Write what the state machine decided: the licence's new state, dates and conditions, and its event."""
    session.add(LicenceEventRow(licence_id=row.id, at=change.at, actor=actor, from_state=change.from_state.value,
                                to_state=change.to_state.value, reason=reason,
                                conditions=json.dumps(list(change.event_conditions))))
    row.state, row.state_since = change.to_state.value, change.at
    row.authorised_on, row.ended_on = change.authorised_on, change.ended_on
    row.conditions = json.dumps(list(change.conditions))


def _standing(row: LicenceRow) -> Standing:
    return Standing(State(row.state), row.authorised_on, row.ended_on, tuple(json.loads(row.conditions)))


def apply_for_licence(store: Store, actor: Actor, doc: Any, *, submit: bool = True, now: datetime | None = None,
                      fictional: bool = False) -> LicenceView:
    """File an application; with `submit` it goes straight to `submitted` once its checklist is complete."""
    authorize(actor, "licensing.apply")
    app = parse_application(doc)
    if submit and (issues := submission_issues(app)):
        raise InputError.from_issues(issues, "application (not submitted; file it with --draft to keep a draft)")
    at = (now or datetime.now(UTC))
    with store.transaction() as session:
        row = LicenceRow(reference=f"tmp-{at.timestamp()}", legal_name=app.legal_name,
                         commercial_name=app.commercial_name, lei=app.lei, address=app.address, country=app.country,
                         website=app.website, application=json.dumps(doc, sort_keys=True, default=str),
                         activities=json.dumps([a.value for a in app.activities]), conditions="[]",
                         state=State.DRAFT.value, state_since=at, created_at=at, fictional=fictional)
        session.add(row)
        session.flush()
        row.reference = f"PVARA-{at.year}-{row.id:04d}"
        session.add(LicenceEventRow(licence_id=row.id, at=at, actor=actor.name, from_state="", to_state="draft",
                                    reason="application created", conditions="[]"))
        if submit:
            record_move(session, row, actor.name, move(_standing(row), State.SUBMITTED, at),
                        "application filed with a complete checklist")
        _audit(session, actor, "licensing.apply", row.reference,
               {"legal_name": app.legal_name, "lei": app.lei, "activities": [a.value for a in app.activities],
                "state": row.state})
        return _view(session, row, at)


def transition_licence(store: Store, actor: Actor, ident: str, to: str, reason: str, *,
                       conditions: list[str] | None = None, now: datetime | None = None) -> LicenceView:
    """Move a licence to `to`; a move the machine forbids, or the actor's role may not make, changes nothing."""
    target = parse_state(to)
    at = (now or datetime.now(UTC))
    with store.transaction() as session:
        row = find_licence(session, ident)
        current = State(row.state)
        action = transition_permission(current, target, reason, conditions or [])
        authorize(actor, action)
        if target is State.SUBMITTED:
            app = parse_application(json.loads(row.application))
            if issues := submission_issues(app):
                raise InputError.from_issues(issues, f"{row.reference} cannot be submitted")
        if _aware(row.state_since) > at:
            raise InputError(f"{row.reference} changed state at {row.state_since.isoformat()}, after {at.isoformat()}",
                             field="at")
        record_move(session, row, actor.name, move(_standing(row), target, at, conditions or []), reason.strip())
        _audit(session, actor, "licensing.transition", row.reference,
               {"from": current.value, "to": target.value, "reason": reason.strip(), "conditions": conditions or []})
        return _view(session, row, at)


def _view(session: Session, row: LicenceRow, now: datetime) -> LicenceView:
    events = session.scalars(select(LicenceEventRow).where(LicenceEventRow.licence_id == row.id)
                             .order_by(LicenceEventRow.at, LicenceEventRow.id)).all()
    activities = tuple(Activity(a) for a in json.loads(row.activities))
    filed = json.loads(row.application)
    docs = filed.get("documents") or [] if isinstance(filed, dict) else []
    cohort = session.get(SandboxCohortRow, row.cohort_id) if row.cohort_id else None
    state = State(row.state)
    return LicenceView(
        id=row.id, reference=row.reference, identity=Identity.of(row), activities=activities, state=state,
        state_since=_aware(row.state_since), authorised_on=row.authorised_on, ended_on=row.ended_on,
        conditions=tuple(json.loads(row.conditions)), fictional=row.fictional,
        checklist=tuple(ChecklistItem(d, d in docs) for d in required_documents(list(activities))),
        overdue_since=overdue_since(state, _aware(row.state_since), now, service_days()), final=state in FINAL,
        sandbox=None if cohort is None else SandboxPlace(cohort.name, cohort.expires_on,
                                                         tuple(json.loads(cohort.conditions))),
        history=tuple(LicenceEvent(_aware(e.at), e.actor, e.from_state, e.to_state, e.reason,
                                   tuple(json.loads(e.conditions))) for e in events))


def show_licence(store: Store, actor: Actor, ident: str, *, now: datetime | None = None) -> LicenceView:
    authorize(actor, "register.read")
    with store.read() as session:
        return _view(session, find_licence(session, ident), (now or datetime.now(UTC)))


def list_licences(store: Store, actor: Actor, *, now: datetime | None = None) -> list[LicenceView]:
    authorize(actor, "register.read")
    with store.read() as session:
        rows = session.scalars(select(LicenceRow).order_by(LicenceRow.id)).all()
        return [_view(session, r, (now or datetime.now(UTC))) for r in rows]


def overdue_licences(store: Store, actor: Actor, *, now: datetime | None = None) -> list[OverdueLicence]:
    """Applications that have sat in a state longer than its service deadline, oldest first."""
    authorize(actor, "supervision.read")
    at, days = (now or datetime.now(UTC)), service_days()
    out = []
    with store.read() as session:
        for row in session.scalars(select(LicenceRow).where(LicenceRow.state.in_([s.value for s in days]))):
            state = State(row.state)
            due = overdue_since(state, _aware(row.state_since), at, days)
            if due is not None:
                waiting = "applicant" if state is State.INFORMATION_REQUESTED else "PVARA"
                out.append(OverdueLicence(row.reference, row.legal_name, state, _aware(row.state_since), due,
                                          (at.date() - due).days, waiting))
    return sorted(out, key=lambda r: r.due_on)


def create_cohort(store: Store, actor: Actor, name: str, starts_on: date, expires_on: date,
                  conditions: list[str]) -> SandboxCohort:
    """Open a sandbox cohort: a named group of applicants testing under conditions until an expiry date."""
    authorize(actor, "licensing.review")
    if not name.strip():
        raise InputError("a sandbox cohort needs a name", field="name")
    if expires_on <= starts_on:
        raise InputError(f"the cohort expires ({expires_on}) on or before it starts ({starts_on})", field="expires")
    with store.transaction() as session:
        if session.scalars(select(SandboxCohortRow).where(SandboxCohortRow.name == name.strip())).first():
            raise InputError(f"a sandbox cohort named {name!r} exists", field="name")
        row = SandboxCohortRow(name=name.strip(), starts_on=starts_on, expires_on=expires_on,
                               conditions=json.dumps(conditions))
        session.add(row)
        session.flush()
        _audit(session, actor, "sandbox.create", name, {"starts_on": starts_on.isoformat(),
                                                        "expires_on": expires_on.isoformat(), "conditions": conditions})
        return SandboxCohort(row.id, row.name, starts_on, expires_on, tuple(conditions))


def admit_to_cohort(store: Store, actor: Actor, ident: str, cohort: str) -> LicenceView:
    authorize(actor, "licensing.review")
    with store.transaction() as session:
        row = find_licence(session, ident)
        c = session.scalars(select(SandboxCohortRow).where(SandboxCohortRow.name == cohort)).first()
        if c is None:
            raise NotFound(f"no sandbox cohort {cohort!r}", field="cohort")
        if State(row.state) in FINAL:
            raise InputError(f"{row.reference} is {row.state}; it cannot join a sandbox", field="id")
        row.cohort_id = c.id
        _audit(session, actor, "sandbox.admit", row.reference, {"cohort": c.name})
        return _view(session, row, datetime.now(UTC))


def cohort_status(store: Store, actor: Actor, *, today: date | None = None) -> list[CohortStatus]:
    authorize(actor, "register.read")
    day = today or datetime.now(UTC).date()
    with store.read() as session:
        out = []
        for c in session.scalars(select(SandboxCohortRow).order_by(SandboxCohortRow.starts_on)):
            members = session.scalars(select(LicenceRow.reference).where(LicenceRow.cohort_id == c.id)).all()
            out.append(CohortStatus(c.id, c.name, c.starts_on, c.expires_on, tuple(json.loads(c.conditions)),
                                    tuple(members), c.expires_on < day, (c.expires_on - day).days))
        return out
