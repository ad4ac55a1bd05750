"""Use case: a TRP-like travel-rule exchange between licensed VASPs (inquiry with IVMS101, approve or reject, audited).

The originating VASP sends a transfer inquiry carrying the IVMS101 payload (bare or in an envelope with
transfer data, as `travel-rule validate` reads it); it is checked field by field and against the FATF R.16
threshold, then kept as "pending" in the beneficiary VASP's inbox until that VASP approves or rejects it.
Both VASPs must be licensed (approved, with or without conditions) in the register. Every step is one
transaction with its audit entry; a refused request stores nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.adapters.store.db import Store
from biplomacy.adapters.store.tables.aml import TravelRuleMessageRow
from biplomacy.adapters.store.tables.supervision import LicenceRow
from biplomacy.errors import InputError, Issue, NotFound
from biplomacy.permissions import Actor, authorize
from biplomacy.services.travel_rule import default_rule
from biplomacy.supervision.licensing import LICENSED
from biplomacy.supervision.travel_rule import check_transfer

ACTION = "travelrule.exchange"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
MAX_REF = 40
MAX_REASON = 2000
MAX_AMOUNT_CHARS = 60
MAX_DEPTH = 32
DECISION_ACTIONS = {APPROVED: "travelrule.approve", REJECTED: "travelrule.reject"}


def _unstorable(value: Any, path: str = "$", depth: int = 0) -> list[Issue]:
    """Text a database cannot keep (NUL characters, lone surrogates) or nesting deeper than any IVMS101 payload."""
    if depth > MAX_DEPTH:
        return [Issue("travel.depth", path, f"nested deeper than {MAX_DEPTH} levels")]
    if isinstance(value, str):
        bad = "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
        return [Issue("travel.text", path, "contains a NUL character or an unpaired surrogate")] if bad else []
    found: list[Issue] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _unstorable(k, path, depth + 1) + _unstorable(v, f"{path}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _unstorable(v, f"{path}[{i}]", depth + 1)
    return found[:20]


def _plain(text: str, field: str, what: str, limit: int) -> str:
    if not isinstance(text, str) or not text.strip() or len(text) > limit or _unstorable(text):
        raise InputError(f"{what}: give plain text of 1 to {limit} characters", field=field)
    return text.strip()


def _licensed(session: Session, ref: str, role: str) -> LicenceRow:
    """The licence row of `ref`, or an InputError naming which VASP (originator/beneficiary) is not licensed."""
    field = f"{role}_vasp"
    ref = _plain(ref, field, f"{role} VASP register reference", MAX_REF)
    row = session.scalars(select(LicenceRow).where(LicenceRow.reference == ref)).first()
    if row is None:
        raise InputError(f"{role} VASP {ref!r} is not in the register", field=field)
    if row.state not in {s.value for s in LICENSED}:
        raise InputError(f"{role} VASP {ref} ({row.legal_name}) is not licensed (state: {row.state})", field=field)
    return row


def _as_dict(row: TravelRuleMessageRow, with_payload: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": row.id, "originator_vasp": row.originator_vasp, "beneficiary_vasp": row.beneficiary_vasp,
        "state": row.state, "amount": row.amount, "unit": row.unit, "amount_usd": row.amount_usd,
        "above_threshold": row.above_threshold, "flags": json.loads(row.flags_json),
        "sent_at": row.sent_at.isoformat(), "sent_by": row.sent_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None, "decided_by": row.decided_by,
        "reason": row.reason,
    }
    if with_payload:
        d["payload"] = json.loads(row.payload_json)
    return d


def send(store: Store, actor: Actor, originator_vasp_ref: str, beneficiary_vasp_ref: str,
         file_payload_dict: Any) -> int:
    """Send a transfer inquiry from one licensed VASP to another; returns the message id (state "pending")."""
    authorize(actor, ACTION)
    stray = _unstorable(file_payload_dict)
    if stray:
        raise InputError.from_issues(stray, "travel-rule payload")
    rule = default_rule()
    result = check_transfer(file_payload_dict, rule)
    if not result.valid:
        raise InputError.from_issues(result.problems, "travel-rule payload")
    transfer = result.transfer or {}
    if len(str(transfer.get("amount"))) > MAX_AMOUNT_CHARS:
        raise InputError(f"transfer.amount: longer than {MAX_AMOUNT_CHARS} characters", field="transfer.amount")
    unit = transfer.get("currency") or transfer.get("asset")
    with store.transaction() as session:
        orig = _licensed(session, originator_vasp_ref, "originator")
        bene = _licensed(session, beneficiary_vasp_ref, "beneficiary")
        if orig.reference == bene.reference:
            raise InputError("originator and beneficiary VASP are the same", field="beneficiary_vasp")
        row = TravelRuleMessageRow(
            originator_vasp=orig.reference, beneficiary_vasp=bene.reference, state=PENDING,
            payload_json=json.dumps(file_payload_dict, sort_keys=True),
            amount=None if result.transfer is None else str(transfer.get("amount")),
            unit=unit.upper() if isinstance(unit, str) else None,
            amount_usd=None if result.amount_usd is None else format(result.amount_usd, "f"),
            above_threshold=result.above_threshold, flags_json=json.dumps(result.flags),
            sent_at=datetime.now(UTC), sent_by=actor.name)
        session.add(row)
        session.flush()
        from biplomacy.audit import record

        record(session, actor=actor.name, action="travelrule.send", subject=f"travel-rule message {row.id}",
               payload={"id": row.id, "originator_vasp": row.originator_vasp,
                        "beneficiary_vasp": row.beneficiary_vasp, "amount": row.amount, "unit": row.unit,
                        "amount_usd": row.amount_usd, "above_threshold": row.above_threshold,
                        "flags": result.flags, "payload": file_payload_dict})
        return row.id


def inbox(store: Store, vasp_ref: str, actor: Actor | None = None) -> dict[str, Any]:
    """The pending inquiries addressed to `vasp_ref`, oldest first, each with its payload (`actor` is authorized)."""
    if actor is not None:
        authorize(actor, ACTION)
    with store.read() as session:
        ref = _licensed(session, vasp_ref, "beneficiary").reference
        rows = session.scalars(select(TravelRuleMessageRow)
                               .where(TravelRuleMessageRow.beneficiary_vasp == ref,
                                      TravelRuleMessageRow.state == PENDING)
                               .order_by(TravelRuleMessageRow.id))
        return {"vasp": ref, "pending": [_as_dict(r) for r in rows]}


def show(store: Store, actor: Actor, message_id: int) -> dict[str, Any]:
    authorize(actor, ACTION)
    with store.read() as session:
        row = session.get(TravelRuleMessageRow, message_id)
        if row is None:
            raise NotFound(f"no travel-rule message {message_id}", field="id")
        return _as_dict(row)


def _decide(store: Store, actor: Actor, message_id: int, reason: str, to_state: str) -> dict[str, Any]:
    authorize(actor, ACTION)
    reason = _plain(reason, "reason", "the reason for the decision", MAX_REASON)
    with store.transaction() as session:
        row = session.get(TravelRuleMessageRow, message_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no travel-rule message {message_id}", field="id")
        if row.state != PENDING:
            raise InputError(f"travel-rule message {message_id} was already {row.state} by {row.decided_by}; "
                             "only a pending message can be decided", field="id")
        row.state, row.decided_at, row.decided_by, row.reason = to_state, datetime.now(UTC), actor.name, reason
        from biplomacy.audit import record

        record(session, actor=actor.name, action=DECISION_ACTIONS[to_state],
               subject=f"travel-rule message {row.id}",
               payload={"id": row.id, "beneficiary_vasp": row.beneficiary_vasp, "state": to_state,
                        "reason": row.reason})
        return _as_dict(row, with_payload=False)


def approve(store: Store, actor: Actor, message_id: int, reason: str) -> dict[str, Any]:
    """The beneficiary VASP accepts a pending inquiry."""
    return _decide(store, actor, message_id, reason, APPROVED)


def reject(store: Store, actor: Actor, message_id: int, reason: str) -> dict[str, Any]:
    """The beneficiary VASP refuses a pending inquiry."""
    return _decide(store, actor, message_id, reason, REJECTED)
