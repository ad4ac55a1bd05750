"""The licence state machine and application checks, as pure rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from biplomacy.core.errors import InputError
from biplomacy.supervision.model.licensing import (
    FINAL,
    TRANSITIONS,
    Activity,
    State,
    parse_application,
    required_documents,
    submission_issues,
    transition_permission,
)

FIT = {"no_criminal_conviction": True, "no_regulatory_sanction": True, "not_bankrupt": True,
       "no_disqualification": True}


def application(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "entity": {"legal_name": "Test VASP Ltd", "lei": "5493001KJTIIGC8Y1R12", "registered_address": "1 Mall Rd",
                   "directors": [{"name": "D", "fit_and_proper": dict(FIT)}],
                   "beneficial_owners": [{"name": "O", "percent": "60"}]},
        "activities": ["custody"], "documents": required_documents([Activity.CUSTODY]),
    }
    doc.update(over)
    return doc


REVIEWER_MOVES = {(State.SUBMITTED, State.UNDER_REVIEW), (State.UNDER_REVIEW, State.APPROVED),
                  (State.UNDER_REVIEW, State.REJECTED), (State.APPROVED, State.REVOKED),
                  (State.APPROVED, State.SUSPENDED)}
APPLICANT_MOVES = {(State.DRAFT, State.SUBMITTED), (State.INFORMATION_REQUESTED, State.SUBMITTED),
                   (State.APPROVED, State.SURRENDERED)}


@pytest.mark.parametrize("current", list(State))
@pytest.mark.parametrize("target", list(State))
def test_every_pair_of_states_is_either_a_listed_move_or_refused(current: State, target: State) -> None:
    if (current, target) in TRANSITIONS:
        assert transition_permission(current, target, "because", ["c"]) in {"licensing.apply", "licensing.review"}
    else:
        with pytest.raises(InputError, match="cannot move"):
            transition_permission(current, target, "because", ["c"])


def test_reviewers_decide_and_applicants_file_and_surrender() -> None:
    assert all(TRANSITIONS[m] == "licensing.review" for m in REVIEWER_MOVES)
    assert all(TRANSITIONS[m] == "licensing.apply" for m in APPLICANT_MOVES)


def test_final_states_have_no_way_out() -> None:
    assert not [m for m in TRANSITIONS if m[0] in FINAL]


def test_a_transition_needs_a_reason_and_conditions_when_conditional() -> None:
    with pytest.raises(InputError, match="reason"):
        transition_permission(State.SUBMITTED, State.UNDER_REVIEW, "  ", [])
    with pytest.raises(InputError, match="condition"):
        transition_permission(State.UNDER_REVIEW, State.APPROVED_WITH_CONDITIONS, "ok", [])


def test_a_complete_application_parses_and_may_be_submitted() -> None:
    app = parse_application(application())
    assert app.activities == (Activity.CUSTODY,) and submission_issues(app) == []


def test_every_problem_of_an_application_is_reported_at_once() -> None:
    doc = application(activities=["custody", "casino"])
    doc["entity"]["lei"] = "5493001KJTIIGC8Y1R13"
    doc["entity"]["registered_address"] = ""
    doc["entity"]["beneficial_owners"] = [{"name": "O", "percent": "160"}]
    with pytest.raises(InputError) as caught:
        parse_application(doc)
    paths = {i.path for i in caught.value.issues}
    assert {"entity.lei", "entity.registered_address", "entity.beneficial_owners[0].percent",
            "activities[1]"} <= paths


def test_missing_documents_and_an_unfit_director_stop_submission() -> None:
    doc = application(documents=["business-plan"])
    doc = copy.deepcopy(doc)
    doc["entity"]["directors"][0]["fit_and_proper"]["not_bankrupt"] = False
    issues = submission_issues(parse_application(doc))
    assert any("insurance-certificate" in i.message for i in issues)
    assert any(i.path.endswith("fit_and_proper.not_bankrupt") for i in issues)


def test_each_activity_brings_its_own_documents() -> None:
    assert "white-paper" in required_documents([Activity.STABLECOIN_ISSUANCE])
    assert "white-paper" not in required_documents([Activity.CUSTODY])
