"""The register as of a date: who was licensed then, with which status, and the ESMA-style CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from biplomacy.supervision.model.identity import Identity
from biplomacy.supervision.model.licensing import Activity, State
from biplomacy.supervision.model.register import (
    ESMA_CASP_COLUMNS,
    Entity,
    Event,
    Warning,
    register_as_of,
    to_csv,
    warnings_as_of,
)


def entity(ref: str, *events: tuple[str, State], conditions: tuple[str, ...] = ()) -> Entity:
    evs = tuple(Event(date.fromisoformat(d), s, "r", conditions if s is State.APPROVED_WITH_CONDITIONS else ())
                for d, s in events)
    return Entity(ref, Identity(f"{ref} Ltd", ref, None, "addr", "PK", "https://x.example"), (Activity.EXCHANGE,), evs)


A = entity("A", ("2025-06-01", State.SUBMITTED), ("2025-06-05", State.UNDER_REVIEW),
           ("2025-08-15", State.APPROVED), ("2025-10-20", State.SUSPENDED), ("2025-11-20", State.REVOKED))
B = entity("B", ("2025-06-01", State.SUBMITTED), ("2025-06-05", State.UNDER_REVIEW),
           ("2025-07-30", State.APPROVED_WITH_CONDITIONS), conditions=("cold storage 95%",))
C = entity("C", ("2025-06-01", State.SUBMITTED), ("2025-06-05", State.UNDER_REVIEW), ("2025-07-01", State.REJECTED))


def statuses(day: str) -> dict[str, str]:
    return {e.entity.reference: e.status.value for e in register_as_of([A, B, C], date.fromisoformat(day))}


def test_an_entity_appears_only_from_its_authorisation() -> None:
    assert statuses("2025-07-01") == {}
    assert statuses("2025-08-01") == {"B": "approved_with_conditions"}
    assert statuses("2025-09-01") == {"A": "approved", "B": "approved_with_conditions"}


def test_suspension_and_revocation_show_on_their_dates_and_rejected_applicants_never_do() -> None:
    assert statuses("2025-10-25")["A"] == "suspended"
    entry = next(e for e in register_as_of([A], date(2025, 12, 1)))
    assert entry.status is State.REVOKED and entry.ended_on == date(2025, 11, 20)
    assert [h.to_state for h in entry.history] == [State.APPROVED, State.SUSPENDED, State.REVOKED]
    assert "C" not in statuses("2026-01-01")


def test_csv_starts_with_esma_casp_columns_and_carries_conditions() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(register_as_of([A, B], date(2025, 12, 1))))))
    assert tuple(rows[0])[:len(ESMA_CASP_COLUMNS)] == ESMA_CASP_COLUMNS
    b = next(r for r in rows if r["pv_reference"] == "B")
    assert b["ac_authorisationNotificationDate"] == "2025-07-30" and b["pv_conditions"] == "cold storage 95%"
    a = next(r for r in rows if r["pv_reference"] == "A")
    assert a["ac_authorisationEndDate"] == "2025-11-20"


def test_search_filters_by_name() -> None:
    assert [e.entity.reference for e in register_as_of([A, B], date(2025, 9, 1), "b ltd")] == ["B"]


def test_warnings_show_between_publication_and_withdrawal() -> None:
    w = Warning("QuickCoin", "", "unlicensed", "d", date(2025, 8, 20), date(2025, 12, 1))
    assert warnings_as_of([w], date(2025, 8, 19)) == []
    assert warnings_as_of([w], date(2025, 9, 1)) == [w]
    assert warnings_as_of([w], date(2025, 12, 1)) == []
