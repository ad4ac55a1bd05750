"""The licensing workflow on both databases: moves by the right role are stored and audited, others change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from biplomacy.core.errors import BiplomacyError, InputError, PermissionDenied
from biplomacy.core.permissions import Actor, authorize
from biplomacy.store.db import Store
from biplomacy.supervision.licensing import apply_for_licence, overdue_licences, show_licence, transition_licence
from biplomacy.supervision.model.licensing import TRANSITIONS, Activity, State, required_documents

ROLES = ("admin", "supervisor", "analyst", "signer", "auditor", "public")
ADMIN = Actor("root", "admin")
FIT = {"no_criminal_conviction": True, "no_regulatory_sanction": True, "not_bankrupt": True,
       "no_disqualification": True}


def application(activities: tuple[Activity, ...] = (Activity.EXCHANGE,)) -> dict[str, Any]:
    return {"entity": {"legal_name": "Test Exchange Ltd", "lei": "5493001KJTIIGC8Y1R12",
                       "registered_address": "1 Mall Road, Lahore",
                       "directors": [{"name": "D", "fit_and_proper": dict(FIT)}],
                       "beneficial_owners": [{"name": "O", "percent": "51"}]},
            "activities": [a.value for a in activities], "documents": required_documents(list(activities))}


def may(role: str, action: str) -> bool:
    try:
        authorize(Actor("x", role), action)
    except PermissionDenied:
        return False
    return True


def walk_to(store: Store, state: State, start: datetime) -> str:
    """An application taken by an admin along the shortest path to `state`."""
    paths = {State.SUBMITTED: [], State.UNDER_REVIEW: [State.UNDER_REVIEW],
             State.INFORMATION_REQUESTED: [State.UNDER_REVIEW, State.INFORMATION_REQUESTED],
             State.APPROVED: [State.UNDER_REVIEW, State.APPROVED],
             State.APPROVED_WITH_CONDITIONS: [State.UNDER_REVIEW, State.APPROVED_WITH_CONDITIONS],
             State.SUSPENDED: [State.UNDER_REVIEW, State.APPROVED, State.SUSPENDED]}
    ref = apply_for_licence(store, ADMIN, application(), now=start).reference
    for i, s in enumerate(paths[state], start=1):
        transition_licence(store, ADMIN, ref, s.value, "step", conditions=["c"], now=start + timedelta(days=i))
    return ref


@pytest.mark.parametrize("move", sorted(m for m in TRANSITIONS if m[0] is not State.DRAFT))
def test_each_move_is_allowed_exactly_to_the_roles_holding_its_permission(store: Store,
                                                                         move: tuple[State, State]) -> None:
    start = datetime(2025, 7, 1, tzinfo=UTC)
    ref = walk_to(store, move[0], start)
    before = show_licence(store, ADMIN, ref)
    refused = [r for r in ROLES if not may(r, TRANSITIONS[move])]
    allowed = [r for r in ROLES if may(r, TRANSITIONS[move])]
    assert "public" in refused and allowed
    for role in refused:
        with pytest.raises(PermissionDenied):
            transition_licence(store, Actor(f"user-{role}", role), ref, move[1].value, "decided",
                               conditions=["cold storage"], now=start + timedelta(days=30))
        assert show_licence(store, ADMIN, ref) == before
    after = transition_licence(store, Actor(f"user-{allowed[0]}", allowed[0]), ref, move[1].value, "decided",
                               conditions=["cold storage"], now=start + timedelta(days=30))
    assert after.state is move[1]
    assert after.history[-1].actor == f"user-{allowed[0]}" and after.history[-1].reason == "decided"


def test_licensing_officers_are_supervisors_and_the_public_decides_nothing() -> None:
    assert may("supervisor", "licensing.review")
    assert not may("public", "licensing.review") and not may("public", "licensing.apply")


def test_a_wrong_transition_changes_nothing(store: Store) -> None:
    ref = walk_to(store, State.SUBMITTED, datetime(2025, 7, 1, tzinfo=UTC))
    before = show_licence(store, ADMIN, ref)
    with pytest.raises(InputError, match="cannot move from submitted to approved"):
        transition_licence(store, ADMIN, ref, "approved", "skip the review")
    assert show_licence(store, ADMIN, ref) == before


def test_the_officers_journey_request_a_document_then_approve_with_conditions(store: Store) -> None:
    t0 = datetime(2025, 7, 1, tzinfo=UTC)
    ref = apply_for_licence(store, ADMIN, application(), now=t0).reference
    for day, (to, reason) in enumerate([("under_review", "complete"), ("information_requested", "audited accounts"),
                                        ("under_review", "accounts received")], start=1):
        transition_licence(store, ADMIN, ref, to, reason, now=t0 + timedelta(days=day))
    r = transition_licence(store, ADMIN, ref, "approved with conditions", "fit to operate",
                           conditions=["95% of client BTC in cold storage"], now=t0 + timedelta(days=5))
    assert r.state is State.APPROVED_WITH_CONDITIONS and r.conditions == ("95% of client BTC in cold storage",)
    assert r.authorised_on is not None and r.authorised_on.isoformat() == "2025-07-06"
    assert [h.to_state for h in r.history] == ["draft", "submitted", "under_review", "information_requested",
                                               "under_review", "approved_with_conditions"]


def test_every_transition_is_in_the_audit_log(store: Store) -> None:
    ref = walk_to(store, State.APPROVED, datetime(2025, 7, 1, tzinfo=UTC))
    assert [e["action"] for e in audited(store) if e["subject"] == ref] == [
        "licensing.apply", "licensing.transition", "licensing.transition"]


def audited(store: Store) -> list[dict[str, Any]]:
    """The audit log's entries, oldest first, as dicts."""
    from biplomacy.house.audit import entries

    with store.read() as s:
        return [{"action": e.action, "subject": e.subject, "actor": e.actor} for e in entries(s)]


def test_an_incomplete_application_is_refused_whole(store: Store) -> None:
    doc = application()
    doc["documents"] = ["business-plan"]
    with pytest.raises(InputError) as caught:
        apply_for_licence(store, ADMIN, doc)
    assert any("listing-policy" in i.message for i in caught.value.issues)
    draft = apply_for_licence(store, ADMIN, doc, submit=False)
    assert draft.state is State.DRAFT
    with pytest.raises(InputError):
        transition_licence(store, ADMIN, draft.reference, "submitted", "please")


def test_applications_past_their_service_deadline_are_listed(store: Store) -> None:
    t0 = datetime(2025, 7, 1, tzinfo=UTC)
    late = walk_to(store, State.UNDER_REVIEW, t0)
    walk_to(store, State.SUBMITTED, t0 + timedelta(days=170))
    rows = overdue_licences(store, ADMIN, now=t0 + timedelta(days=175))
    assert [r.reference for r in rows] == [late]
    assert rows[0].waiting_on == "PVARA" and rows[0].days_overdue == 175 - 1 - 90


def test_unknown_licence_is_not_found(store: Store) -> None:
    with pytest.raises(BiplomacyError, match="no licence"):
        show_licence(store, ADMIN, "PVARA-2025-9999")
