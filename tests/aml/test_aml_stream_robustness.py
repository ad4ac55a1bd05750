"""One transfer must not stop AML monitoring for good (#20): a transfer dated 9999-12-31 moved the stream's
clock so that every later transfer was refused as "too late", and the refusal survived restarts. Transfers too
far in the future are now refused, and an operator can quarantine a bad transfer already in the state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from biplomacy.aml.stream import StreamScorer, make_tx
from biplomacy.aml.stream_quarantine import quarantine
from biplomacy.core.errors import InputError, PermissionDenied
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.house.tables import AuditRow

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
FAR = datetime(9999, 12, 31, tzinfo=UTC)


def _tx(tx_id: str, at: datetime, amount: float = 100.0, src: str = "acct-a", dst: str = "acct-b"):  # type: ignore[no-untyped-def]
    return make_tx(tx_id, at, src, dst, amount, "BTC", "V1")


def test_finding_a_transfer_dated_9999_is_refused_and_monitoring_goes_on(tmp_path: Path) -> None:
    scorer = StreamScorer(tmp_path / "s", clock=NOW.timestamp)
    try:
        with pytest.raises(InputError, match="in the future") as refused:
            scorer.score(_tx("bad", FAR))
        assert refused.value.field == "timestamp"
        scorer.score(_tx("ok", NOW))  # the next one is scored as before
        scorer.score(_tx("soon", NOW + timedelta(seconds=599)))  # within the allowance
    finally:
        scorer.close()


def test_finding_an_operator_quarantines_a_bad_transfer_and_it_stays_out_after_a_restart(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "s"
    # the state as the finding left it: the far-future transfer was accepted (an older version, no allowance)
    scorer = StreamScorer(state, clock=NOW.timestamp, future_seconds=float("inf"))
    scorer.score(_tx("t1", NOW - timedelta(hours=1), src="acct-c", dst="acct-d"))
    scorer.score(_tx("bad", FAR))
    with pytest.raises(InputError, match="before the stream's latest transfer"):
        scorer.score(_tx("t2", NOW))
    scorer.close()
    scorer = StreamScorer(state, clock=NOW.timestamp)  # a restart does not help: the transfer is in the state
    with pytest.raises(InputError, match="before the stream's latest transfer"):
        scorer.score(_tx("t2", NOW))
    scorer.close()

    done = quarantine(store, LOCAL_ADMIN, state, "bad", "dated 9999-12-31 by a VASP's broken clock")
    assert done.found and done.clock_before == FAR.isoformat() and done.clock_after == (NOW - timedelta(hours=1)).isoformat()
    with store.read() as s:
        action, payload = s.execute(select(AuditRow.action, AuditRow.payload).order_by(AuditRow.seq.desc())).first()
    assert action == "aml.stream.quarantine" and "broken clock" in payload
    assert "\"tx_id\": \"bad\"" in (state / "quarantine.jsonl").read_text()

    scorer = StreamScorer(state, clock=NOW.timestamp)
    try:
        assert scorer.score(_tx("t2", NOW)).tx_id == "t2"
        assert scorer.size().scored >= 2
    finally:
        scorer.close()


def test_quarantine_needs_a_reason_a_stopped_server_and_the_right_role(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = tmp_path / "s"
    running = StreamScorer(state, clock=NOW.timestamp)
    running.score(_tx("t1", NOW))
    try:
        with pytest.raises(InputError, match="held by another process"):
            quarantine(store, LOCAL_ADMIN, state, "t1", "wrong amount")
    finally:
        running.close()
    with pytest.raises(InputError, match="say why"):
        quarantine(store, LOCAL_ADMIN, state, "t1", " ")
    with pytest.raises(PermissionDenied):
        quarantine(store, Actor("a", "analyst"), state, "t1", "wrong amount")


def test_quarantine_through_the_cli(cli, settings) -> None:  # type: ignore[no-untyped-def]
    scorer = StreamScorer(settings.var_dir / "aml-stream", clock=NOW.timestamp)
    scorer.score(_tx("t1", NOW))
    scorer.close()
    result = cli("supervise", "aml", "stream-quarantine", "t1", "--reason", "sent twice under two ids", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["tx_id"] == "t1" and result.json["found"] is True
