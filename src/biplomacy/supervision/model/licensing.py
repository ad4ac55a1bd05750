"""Licence applications of VASPs: the entity, its activities and documents, and the licence state machine.

The activity taxonomy follows Dubai VARA's (advisory, broker-dealer, custody, exchange, lending and
borrowing, management and investment, transfer and settlement, issuance), the model FACTS.md names
for PVARA. Validators return every Issue at once; the state machine says which permission a move needs and
what a move changes: the dates it authorises or ends a licence on, and its conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.lei import lei_problem
from biplomacy.supervision.model.identity import Identity


class Activity(StrEnum):
    EXCHANGE = "exchange"
    BROKER_DEALER = "broker-dealer"
    CUSTODY = "custody"
    TRANSFER_SETTLEMENT = "transfer-and-settlement"
    LENDING_BORROWING = "lending-and-borrowing"
    ADVISORY = "advisory"
    MANAGEMENT_INVESTMENT = "management-and-investment"
    STABLECOIN_ISSUANCE = "stablecoin-issuance"


# Closest MiCA Article 3(1)(16) crypto-asset service, for the ESMA-style register's ac_serviceCode.
MICA_SERVICE = {
    Activity.EXCHANGE: "b. operation of a trading platform for crypto-assets",
    Activity.BROKER_DEALER: "c. exchange of crypto-assets for funds or other crypto-assets",
    Activity.CUSTODY: "a. custody and administration of crypto-assets on behalf of clients",
    Activity.TRANSFER_SETTLEMENT: "j. transfer services for crypto-assets on behalf of clients",
    Activity.LENDING_BORROWING: "(no MiCA service: national regime)",
    Activity.ADVISORY: "h. providing advice on crypto-assets",
    Activity.MANAGEMENT_INVESTMENT: "i. providing portfolio management on crypto-assets",
    Activity.STABLECOIN_ISSUANCE: "(MiCA Title III/IV issuer authorisation)",
}

COMMON_DOCUMENTS = ("business-plan", "aml-cft-policy", "fit-and-proper-declarations", "beneficial-ownership-chart",
                    "audited-financials", "ict-security-policy")
ACTIVITY_DOCUMENTS: dict[Activity, tuple[str, ...]] = {
    Activity.EXCHANGE: ("market-surveillance-policy", "listing-policy", "client-asset-segregation",
                        "proof-of-reserves-method"),
    Activity.BROKER_DEALER: ("best-execution-policy", "client-asset-segregation"),
    Activity.CUSTODY: ("key-management-policy", "client-asset-segregation", "insurance-certificate"),
    Activity.TRANSFER_SETTLEMENT: ("travel-rule-procedure",),
    Activity.LENDING_BORROWING: ("collateral-and-liquidation-policy", "risk-disclosure"),
    Activity.ADVISORY: ("suitability-policy",),
    Activity.MANAGEMENT_INVESTMENT: ("investment-mandate-template", "suitability-policy"),
    Activity.STABLECOIN_ISSUANCE: ("reserve-asset-policy", "redemption-policy", "white-paper"),
}


def required_documents(activities: list[Activity]) -> list[str]:
    """The document checklist of an application: the common set plus each activity's own, in order."""
    docs = list(COMMON_DOCUMENTS)
    for a in activities:
        docs += [d for d in ACTIVITY_DOCUMENTS[a] if d not in docs]
    return docs


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    INFORMATION_REQUESTED = "information_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SURRENDERED = "surrendered"


LICENSED = frozenset({State.APPROVED, State.APPROVED_WITH_CONDITIONS})  # a move into these authorises
ENDING = frozenset({State.REVOKED, State.SURRENDERED})  # a move into these ends the licence
ON_REGISTER = LICENSED | {State.SUSPENDED} | ENDING
FINAL = frozenset({State.REJECTED, State.REVOKED, State.SURRENDERED})

_APPLY, _REVIEW = "licensing.apply", "licensing.review"
# (from, to) -> the permission the actor needs. Anything not listed is not a move of this machine.
TRANSITIONS: dict[tuple[State, State], str] = {
    (State.DRAFT, State.SUBMITTED): _APPLY,
    (State.SUBMITTED, State.UNDER_REVIEW): _REVIEW,
    (State.UNDER_REVIEW, State.INFORMATION_REQUESTED): _REVIEW,
    (State.INFORMATION_REQUESTED, State.SUBMITTED): _APPLY,  # the applicant answers and resubmits
    (State.INFORMATION_REQUESTED, State.UNDER_REVIEW): _REVIEW,  # the officer resumes once the answer is in
    (State.UNDER_REVIEW, State.APPROVED): _REVIEW,
    (State.UNDER_REVIEW, State.APPROVED_WITH_CONDITIONS): _REVIEW,
    (State.UNDER_REVIEW, State.REJECTED): _REVIEW,
    (State.APPROVED, State.SUSPENDED): _REVIEW,
    (State.APPROVED_WITH_CONDITIONS, State.SUSPENDED): _REVIEW,
    (State.SUSPENDED, State.APPROVED): _REVIEW,
    (State.SUSPENDED, State.APPROVED_WITH_CONDITIONS): _REVIEW,
    (State.APPROVED, State.REVOKED): _REVIEW,
    (State.APPROVED_WITH_CONDITIONS, State.REVOKED): _REVIEW,
    (State.SUSPENDED, State.REVOKED): _REVIEW,
    (State.APPROVED, State.SURRENDERED): _APPLY,
    (State.APPROVED_WITH_CONDITIONS, State.SURRENDERED): _APPLY,
    (State.SUSPENDED, State.SURRENDERED): _APPLY,
}


def parse_state(text: str) -> State:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return State(key)
    except ValueError:
        raise InputError(f"unknown licence state {text!r}; one of {', '.join(s.value for s in State)}",
                         field="to") from None


def transition_permission(current: State, target: State, reason: str, conditions: list[str]) -> str:
    """The permission needed to move `current` -> `target`; InputError when the move is not allowed."""
    if not reason.strip():
        raise InputError("a licence transition needs a reason", field="reason")
    action = TRANSITIONS.get((current, target))
    if action is None:
        allowed = [t.value for (f, t) in TRANSITIONS if f is current]
        raise InputError(f"a licence cannot move from {current.value} to {target.value}; from {current.value} "
                         f"it may go to: {', '.join(allowed) or 'nothing (final state)'}", field="to")
    if target is State.APPROVED_WITH_CONDITIONS and not conditions:
        raise InputError("approved_with_conditions needs at least one condition", field="condition")
    return action


@dataclass(frozen=True)
class Standing:
    """Where a licence stands: its state, the dates it was authorised and ended, the conditions it holds."""

    state: State
    authorised_on: date | None = None
    ended_on: date | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LicenceChange:
    """What one move does to a licence: the change set its use case writes (the licence and one event)."""

    from_state: State
    to_state: State
    at: datetime
    authorised_on: date | None  # the first authorisation's date, kept through suspensions
    ended_on: date | None  # set by revocation or surrender, cleared when the licence is authorised again
    conditions: tuple[str, ...]  # the licence's conditions after the move

    @property
    def after(self) -> Standing:
        """Where the licence stands once the move is made."""
        return Standing(self.to_state, self.authorised_on, self.ended_on, self.conditions)

    @property
    def event_conditions(self) -> tuple[str, ...]:
        """The conditions the move itself imposes, recorded with its event (none unless it authorises)."""
        return self.conditions if self.to_state in LICENSED else ()


def move(standing: Standing, target: State, at: datetime, conditions: Sequence[str] = ()) -> LicenceChange:
    """The licence after moving to `target` at `at` (transition_permission says whether it may).

    Authorising sets the authorisation date once and the conditions afresh (none for a plain approval);
    ending sets the end date; any other move keeps both dates and the conditions.
    """
    authorised, ended, held = standing.authorised_on, standing.ended_on, standing.conditions
    if target in LICENSED:
        authorised = authorised or at.date()
        ended = None
        held = tuple(conditions) if target is State.APPROVED_WITH_CONDITIONS else ()
    elif target in ENDING:
        ended = at.date()
    return LicenceChange(standing.state, target, at, authorised, ended, held)


@dataclass(frozen=True)
class Director:
    name: str
    role: str
    fit_and_proper: dict[str, bool]


@dataclass(frozen=True)
class Owner:
    name: str
    percent: Decimal


@dataclass(frozen=True)
class Application(Identity):
    """What an applicant files: the entity, its people and owners, activities and documents."""

    directors: tuple[Director, ...]
    owners: tuple[Owner, ...]
    activities: tuple[Activity, ...]
    documents: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


FIT_AND_PROPER_QUESTIONS = ("no_criminal_conviction", "no_regulatory_sanction", "not_bankrupt",
                            "no_disqualification")


def _text(doc: Mapping[str, Any], key: str, path: str, issues: list[Issue], required: bool = True) -> str:
    value = doc.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            issues.append(Issue("licence.missing", f"{path}{key}", "is required"))
        return ""
    if not isinstance(value, str):
        issues.append(Issue("licence.type", f"{path}{key}", "must be a string"))
        return ""
    return value.strip()


def parse_application(doc: Any) -> Application:
    """Check an application document (as in FILE.json) and return it; every problem at once."""
    if not isinstance(doc, dict):
        raise InputError("an application must be a JSON object")
    issues: list[Issue] = []
    ent: dict[str, Any] = doc["entity"] if isinstance(doc.get("entity"), dict) else doc
    legal = _text(ent, "legal_name", "entity.", issues)
    lei = _text(ent, "lei", "entity.", issues, required=False) or None
    if lei and (problem := lei_problem(lei)):
        issues.append(Issue("licence.lei", "entity.lei", problem))
    address = _text(ent, "registered_address", "entity.", issues)
    country = _text(ent, "country", "entity.", issues, required=False) or "PK"
    directors: list[Director] = []
    raw_dirs = ent.get("directors")
    if not isinstance(raw_dirs, list) or not raw_dirs:
        issues.append(Issue("licence.directors", "entity.directors", "at least one director is required"))
        raw_dirs = []
    for i, d in enumerate(raw_dirs):
        p = f"entity.directors[{i}]."
        if not isinstance(d, dict):
            issues.append(Issue("licence.type", p[:-1], "must be an object"))
            continue
        name = _text(d, "name", p, issues)
        fp = d.get("fit_and_proper")
        if not isinstance(fp, dict):
            issues.append(Issue("licence.fit_and_proper", f"{p}fit_and_proper",
                                f"a declaration answering {', '.join(FIT_AND_PROPER_QUESTIONS)} is required"))
            fp = {}
        for q in FIT_AND_PROPER_QUESTIONS:
            if q in fp and not isinstance(fp[q], bool):
                issues.append(Issue("licence.fit_and_proper", f"{p}fit_and_proper.{q}", "must be true or false"))
            elif isinstance(fp, dict) and fp and q not in fp:
                issues.append(Issue("licence.fit_and_proper", f"{p}fit_and_proper.{q}", "is not answered"))
        directors.append(Director(name, str(d.get("role") or "director"),
                                  {q: bool(fp.get(q)) for q in FIT_AND_PROPER_QUESTIONS}))
    owners: list[Owner] = []
    for i, o in enumerate(ent.get("beneficial_owners") or []):
        p = f"entity.beneficial_owners[{i}]."
        if not isinstance(o, dict):
            issues.append(Issue("licence.type", p[:-1], "must be an object"))
            continue
        name = _text(o, "name", p, issues)
        try:
            pct = Decimal(str(o.get("percent")))
            if not pct.is_finite() or not 0 < pct <= 100:
                raise InvalidOperation
        except InvalidOperation:
            issues.append(Issue("licence.owner", f"{p}percent", f"{o.get('percent')!r} is not a share in (0, 100]"))
            continue
        owners.append(Owner(name, pct))
    if sum((o.percent for o in owners), Decimal(0)) > 100:
        issues.append(Issue("licence.owner", "entity.beneficial_owners", "shares add up to more than 100%"))
    activities: list[Activity] = []
    raw_acts = doc.get("activities")
    if not isinstance(raw_acts, list) or not raw_acts:
        issues.append(Issue("licence.activities", "activities",
                            f"at least one of: {', '.join(a.value for a in Activity)}"))
        raw_acts = []
    for i, a in enumerate(raw_acts):
        try:
            act = Activity(str(a).strip().lower().replace(" ", "-").replace("_", "-"))
        except ValueError:
            issues.append(Issue("licence.activity", f"activities[{i}]",
                                f"{a!r} is not one of: {', '.join(x.value for x in Activity)}"))
            continue
        if act not in activities:
            activities.append(act)
    docs = doc.get("documents") or []
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        issues.append(Issue("licence.documents", "documents", "must be a list of document names"))
        docs = []
    if issues:
        raise InputError.from_issues(issues, "application")
    return Application(legal, _text(ent, "commercial_name", "entity.", [], required=False) or legal, lei, address,
                       country, _text(ent, "website", "entity.", [], required=False), tuple(directors),
                       tuple(owners), tuple(activities), tuple(docs))


def submission_issues(app: Application) -> list[Issue]:
    """What stops an application from being submitted: missing documents, unfit directors."""
    issues = [Issue("licence.document", "documents", f"missing required document {d!r}")
              for d in required_documents(list(app.activities)) if d not in app.documents]
    for i, d in enumerate(app.directors):
        for q, ok in d.fit_and_proper.items():
            if not ok:
                issues.append(Issue("licence.fit_and_proper", f"entity.directors[{i}].fit_and_proper.{q}",
                                    f"{d.name} does not declare {q.replace('_', ' ')}"))
    return issues


def overdue(state: State, since: datetime, now: datetime, service_days: Mapping[State, int]) -> date | None:
    """The due date when an application has sat in `state` past its service deadline, else None."""
    days = service_days.get(state)
    if days is None:
        return None
    due = since + timedelta(days=days)
    return due.date() if now > due else None
