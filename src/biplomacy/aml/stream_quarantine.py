"""Use case: an operator quarantines a bad transfer from the AML stream's state (audited).

The stream server must be stopped (it holds the state folder's lock; the command says so). The transfer is
taken out of every window and the clock is set back (model/stream_quarantine.py), the quarantine is noted in
the state folder's quarantine.jsonl and the state snapshotted, and the audit log records who did it and why,
in the transaction that commits last: if the audit entry cannot be written, the command fails loudly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from biplomacy.aml.results import StreamQuarantined
from biplomacy.aml.stream import StreamScorer
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house.audit import record
from biplomacy.store.db import Store

MAX_REASON = 2000


def quarantine(store: Store, actor: Actor, state_dir: Path, tx_id: str, reason: str) -> StreamQuarantined:
    """Take `tx_id` out of the stream state in `state_dir`, with the operator's reason, audited."""
    authorize(actor, "aml.stream.quarantine")
    if not tx_id.strip() or len(tx_id) > 200:
        raise InputError("give the tx_id of a scored transfer (1-200 characters)", field="tx_id")
    if not reason.strip() or len(reason) > MAX_REASON:
        raise InputError(f"say why, in 1 to {MAX_REASON} characters", field="reason")
    if not state_dir.is_dir():
        raise InputError(f"{state_dir} is not an AML stream state folder", field="state")
    scorer = StreamScorer(state_dir)
    try:
        with store.transaction() as s:
            removed = scorer.quarantine(tx_id, reason.strip(), actor.name)
            record(s, actor=actor.name, action="aml.stream.quarantine", subject=f"aml-stream/{tx_id}",
                   payload={"tx_id": tx_id, "reason": reason.strip(), "found": removed.found,
                            "clock_before": _iso(removed.clock_before), "clock_after": _iso(removed.clock_after),
                            "state": str(state_dir)})
    finally:
        scorer.close()
    return StreamQuarantined(tx_id, removed.found, _iso(removed.clock_before), _iso(removed.clock_after))


def _iso(ts: float) -> str | None:
    if ts in (float("inf"), float("-inf")):
        return None
    try:
        return datetime.fromtimestamp(ts, UTC).isoformat()
    except (OverflowError, ValueError, OSError):  # a clock beyond year 9999 (what a quarantine undoes)
        return None
