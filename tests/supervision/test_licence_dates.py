"""The licence state machine decides the dates a move sets: authorising dates a licence once, ending dates its end."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from biplomacy.supervision.model.licensing import ENDING, LICENSED, TRANSITIONS, Standing, State, move


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


def walk(*moves: tuple[str, State, tuple[str, ...]]) -> Standing:
    """A new application taken through `moves` (day, target, conditions), each change applied as its use case does."""
    standing = Standing(State.DRAFT)
    for day, target, conditions in moves:
        assert (standing.state, target) in TRANSITIONS
        change = move(standing, target, at(day), conditions)
        assert (change.from_state, change.to_state, change.at) == (standing.state, target, at(day))
        standing = change.after
    return standing


REVIEWED = (("2025-07-01", State.SUBMITTED, ()), ("2025-07-02", State.UNDER_REVIEW, ()))


def test_moves_before_a_decision_set_no_date() -> None:
    assert walk(*REVIEWED) == Standing(State.UNDER_REVIEW)


def test_approval_authorises_on_its_day_and_a_suspension_and_reinstatement_keep_that_date() -> None:
    licence = walk(*REVIEWED, ("2025-08-15", State.APPROVED, ()), ("2025-10-20", State.SUSPENDED, ()),
                   ("2025-11-05", State.APPROVED_WITH_CONDITIONS, ("cold storage",)))
    assert licence == Standing(State.APPROVED_WITH_CONDITIONS, date(2025, 8, 15), None, ("cold storage",))


@pytest.mark.parametrize("end", sorted(ENDING))
def test_revocation_and_surrender_end_the_licence_on_their_day_and_keep_its_authorisation(end: State) -> None:
    licence = walk(*REVIEWED, ("2025-08-15", State.APPROVED_WITH_CONDITIONS, ("cap",)), ("2025-11-20", end, ()))
    assert (licence.authorised_on, licence.ended_on, licence.conditions) == (date(2025, 8, 15), date(2025, 11, 20),
                                                                              ("cap",))


def test_a_rejection_neither_authorises_nor_ends_a_licence() -> None:
    assert walk(*REVIEWED, ("2025-08-01", State.REJECTED, ())) == Standing(State.REJECTED)


def test_a_plain_approval_clears_conditions_and_only_authorising_moves_record_them() -> None:
    suspended = Standing(State.SUSPENDED, date(2025, 8, 15), None, ("cap",))
    approved = move(suspended, State.APPROVED, at("2025-12-01"), ("ignored",))
    assert approved.conditions == () and approved.event_conditions == ()
    conditioned = move(suspended, State.APPROVED_WITH_CONDITIONS, at("2025-12-01"), ("cap", "audit"))
    assert conditioned.conditions == conditioned.event_conditions == ("cap", "audit")
    revoked = move(suspended, State.REVOKED, at("2025-12-01"), ("ignored",))
    assert revoked.conditions == ("cap",) and revoked.event_conditions == ()


@pytest.mark.parametrize("step", sorted(TRANSITIONS))
def test_every_move_authorises_exactly_when_it_licenses_and_ends_exactly_when_it_ends(
        step: tuple[State, State]) -> None:
    source, target = step
    change = move(Standing(source), target, at("2026-01-05"), ("c",))
    assert (change.authorised_on == date(2026, 1, 5)) is (target in LICENSED)
    assert (change.ended_on == date(2026, 1, 5)) is (target in ENDING)
