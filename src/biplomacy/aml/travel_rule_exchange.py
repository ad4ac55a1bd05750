"""Use case: a TRP-like travel-rule exchange between licensed VASPs (inquiry with IVMS101, approve or reject, audited).

As in the Travel Rule Protocol, VASPs address each other by LEI: the beneficiary VASP is discovered in the
register (`vasp_directory`: licensed now, with an activity that moves virtual assets) before any personal
data is sent. Only a `vasp` user acts in the exchange, and only as its own entity: it sends as itself,
reads its own inbox and messages, and decides only what is addressed to it. Supervisors and admins read
every exchange (oversight) but never send or decide on a VASP's behalf.

An inquiry carries the IVMS101 payload (bare or in an envelope with transfer data, as `travel-rule validate`
reads it), checked field by field and against the FATF R.16 threshold, then kept "pending" in the
beneficiary's inbox until it approves or rejects it with a reason. Each message shows its status history
(requested, then approved or rejected). Every step is one transaction with its audit entry; a refused
request stores nothing.

Personal data is stored once: the payload goes to its own table (TravelRulePersonalDataRow), erased when its
retention ends (travel_rule_retention.py); the message and the audit log keep only its SHA-256. A payload is
at most MAX_PAYLOAD_BYTES of JSON and each text in it at most MAX_TEXT characters (IVMS101's own fields are
at most 100 characters long, addresses 70 a line).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from biplomacy.aml.model.travel_rule import TravelRuleResult, check_transfer, split_envelope
from biplomacy.aml.results import Inbox, MessageList, StatusStep, TravelRuleMessage, VaspFound
from biplomacy.aml.tables import TravelRuleMessageRow, TravelRulePersonalDataRow
from biplomacy.aml.travel_rule import default_rule
from biplomacy.core.errors import InputError, Issue, NotFound, PermissionDenied
from biplomacy.core.permissions import VASP, Actor, authorize, require_own_entity
from biplomacy.house.audit import record
from biplomacy.store.db import Store
from biplomacy.supervision.vasp_directory import entity_on_register, leis_of, references_of, transfer_vasp

SEND, DECIDE, READ = "travelrule.send", "travelrule.decide", "travelrule.read"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
MAX_REASON = 2000
MAX_AMOUNT_CHARS = 60
MAX_DEPTH = 32
MAX_LIST = 500
MAX_TEXT = 1_000  # characters in any one text of a payload (the finding: a 10 MB field was accepted)
MAX_PAYLOAD_BYTES = 64 * 1024  # of the payload's canonical JSON; a full IVMS101 payload is a few kB
DECISION_ACTIONS = {APPROVED: "travelrule.approve", REJECTED: "travelrule.reject"}


def _unstorable(value: Any, path: str = "$", depth: int = 0) -> list[Issue]:
    """Text a database cannot keep (NUL characters, lone surrogates) or nesting deeper than any IVMS101 payload."""
    if depth > MAX_DEPTH:
        return [Issue("travel.depth", path, f"nested deeper than {MAX_DEPTH} levels")]
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return [Issue("travel.length", path, f"is {len(value)} characters long; at most {MAX_TEXT}")]
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


def _history(row: TravelRuleMessageRow) -> tuple[StatusStep, ...]:
    requested = StatusStep("requested", row.sent_at, row.sent_by)
    if row.decided_at is None:
        return (requested,)
    return requested, StatusStep(row.state, row.decided_at, row.decided_by, row.reason)


def payload_sha256(payload: Any) -> str:
    """SHA-256 of the payload's canonical JSON (sorted keys, no spaces): what the audit log keeps of it."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _message(row: TravelRuleMessageRow, leis: dict[str, str | None], payload: Any = None) -> TravelRuleMessage:
    return TravelRuleMessage(
        row.id, row.originator_vasp, row.beneficiary_vasp, leis.get(row.originator_vasp),
        leis.get(row.beneficiary_vasp), row.state, row.amount, row.unit,
        None if row.amount_usd is None else Decimal(row.amount_usd), row.above_threshold,
        tuple(json.loads(row.flags_json)), row.sent_at, row.sent_by, row.decided_at, row.decided_by, row.reason,
        _history(row), payload, row.payload_sha256, row.personal_data_erased_at)


def _payload(session: Session, message_id: int) -> Any:
    row = session.get(TravelRulePersonalDataRow, message_id)
    return None if row is None else json.loads(row.payload_json)


def _messages(session: Session, rows: list[TravelRuleMessageRow],
              with_payload: bool = True) -> tuple[TravelRuleMessage, ...]:
    leis = leis_of(session, {r.originator_vasp for r in rows} | {r.beneficiary_vasp for r in rows})
    return tuple(_message(r, leis, _payload(session, r.id) if with_payload else None) for r in rows)


def _check_payload(payload: Any) -> tuple[TravelRuleResult, dict[str, Any]]:
    stray = _unstorable(payload)
    if stray:
        raise InputError.from_issues(stray, "travel-rule payload")
    size = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise InputError(f"the payload is {size} bytes of JSON; at most {MAX_PAYLOAD_BYTES}", field="payload")
    result = check_transfer(payload, default_rule())
    if not result.valid:
        raise InputError.from_issues(result.problems, "travel-rule payload")
    transfer = result.transfer or {}
    if len(str(transfer.get("amount"))) > MAX_AMOUNT_CHARS:
        raise InputError(f"transfer.amount: longer than {MAX_AMOUNT_CHARS} characters", field="transfer.amount")
    return result, transfer


def _named_vasp_leis(doc: Any, originator_lei: str | None, beneficiary_lei: str | None) -> list[Issue]:
    """Where the IVMS101 payload names a VASP by LEI (nationalIdentifierType LEIX), it must be the sender
    (originatingVASP) and the addressee (beneficiaryVASP) of the message: the data must describe this transfer."""
    payload, _, prefix = split_envelope(doc)
    found = []
    for side, lei in (("originatingVASP", originator_lei), ("beneficiaryVASP", beneficiary_lei)):
        node: Any = payload
        for key in (side, side, "legalPerson", "nationalIdentification"):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get("nationalIdentifierType") == "LEIX" \
                and node.get("nationalIdentifier") != lei:
            found.append(Issue("travel.vasp_lei", f"{prefix}{side}.{side}.legalPerson.nationalIdentification"
                               ".nationalIdentifier", f"names LEI {node.get('nationalIdentifier')}, but the "
                               f"message goes {'from' if side == 'originatingVASP' else 'to'} {lei}"))
    return found


def discover(store: Store, actor: Actor, lei: str) -> VaspFound:
    """TRP-like discovery: the licensed VASP an LEI names, if it may receive transfers (else a clear reason)."""
    authorize(actor, READ)
    with store.read() as session:
        row = transfer_vasp(session, lei, "lei", "the")
        return VaspFound(row.lei, row.reference, row.legal_name, row.state, tuple(json.loads(row.activities)), True)


def send(store: Store, actor: Actor, beneficiary_lei: str, file_payload_dict: Any,
         originator_lei: str | None = None) -> int:
    """Send a transfer inquiry as the actor's own VASP to the VASP `beneficiary_lei` names; returns its id."""
    authorize(actor, SEND)
    require_own_entity(actor, originator_lei or actor.lei, "send travel-rule messages")
    result, transfer = _check_payload(file_payload_dict)
    unit = transfer.get("currency") or transfer.get("asset")
    with store.transaction() as session:
        orig = transfer_vasp(session, actor.lei, "originator_lei", "originator")
        bene = transfer_vasp(session, beneficiary_lei, "beneficiary_lei", "beneficiary")
        if orig.lei == bene.lei:
            raise InputError(f"beneficiary LEI {bene.lei} is the originator itself", field="beneficiary_lei")
        if mismatched := _named_vasp_leis(file_payload_dict, orig.lei, bene.lei):
            raise InputError.from_issues(mismatched, "travel-rule payload")
        digest = payload_sha256(file_payload_dict)
        row = TravelRuleMessageRow(
            originator_vasp=orig.reference, beneficiary_vasp=bene.reference, state=PENDING,
            payload_sha256=digest,
            amount=None if result.transfer is None else str(transfer.get("amount")),
            unit=unit.upper() if isinstance(unit, str) else None,
            amount_usd=None if result.amount_usd is None else format(result.amount_usd, "f"),
            above_threshold=result.above_threshold, flags_json=json.dumps(result.flags),
            sent_at=datetime.now(UTC), sent_by=actor.name)
        session.add(row)
        session.flush()
        session.add(TravelRulePersonalDataRow(message_id=row.id, payload_json=json.dumps(file_payload_dict, sort_keys=True),
                                              stored_at=row.sent_at))
        # the audit log can never be edited: it keeps the payload's hash, never the personal data itself
        record(session, actor=actor.name, action="travelrule.send", subject=f"travel-rule message {row.id}",
               payload={"id": row.id, "originator_vasp": row.originator_vasp, "originator_lei": orig.lei,
                        "beneficiary_vasp": row.beneficiary_vasp, "beneficiary_lei": bene.lei,
                        "amount": row.amount, "unit": row.unit, "amount_usd": row.amount_usd,
                        "above_threshold": row.above_threshold, "flags": result.flags,
                        "payload_sha256": digest})
        return row.id


def inbox(store: Store, actor: Actor, lei: str | None = None) -> Inbox:
    """The pending inquiries addressed to the VASP `lei` names, oldest first, with payloads.

    A vasp user reads its own inbox (`lei` defaults to its own); supervisors and admins name the LEI.
    """
    authorize(actor, READ)
    if actor.role == VASP:
        lei = lei or actor.lei
        require_own_entity(actor, lei, "read the travel-rule inbox")
    with store.read() as session:
        entity = entity_on_register(session, lei, "lei", "inbox")
        rows = list(session.scalars(select(TravelRuleMessageRow)
                                    .where(TravelRuleMessageRow.beneficiary_vasp.in_(references_of(session, entity.lei)),
                                           TravelRuleMessageRow.state == PENDING)
                                    .order_by(TravelRuleMessageRow.id)))
        return Inbox(entity.reference, entity.lei, _messages(session, rows))


def messages(store: Store, actor: Actor, lei: str | None = None, state: str | None = None) -> MessageList:
    """Messages sent or received, newest first (at most MAX_LIST), without payloads.

    Oversight: supervisors and admins see every exchange, or one VASP's (`lei`); a vasp user sees its own.
    """
    authorize(actor, READ)
    if actor.role == VASP:
        lei = lei or actor.lei
        require_own_entity(actor, lei, "read travel-rule messages")
    if state is not None and state not in {PENDING, APPROVED, REJECTED}:
        raise InputError(f"state: {state!r} is not pending, approved or rejected", field="state")
    with store.read() as session:
        q = select(TravelRuleMessageRow)
        if lei is not None:
            refs = references_of(session, entity_on_register(session, lei, "lei", "messages of").lei)
            q = q.where(or_(TravelRuleMessageRow.originator_vasp.in_(refs),
                            TravelRuleMessageRow.beneficiary_vasp.in_(refs)))
        if state is not None:
            q = q.where(TravelRuleMessageRow.state == state)
        rows = list(session.scalars(q.order_by(TravelRuleMessageRow.id.desc()).limit(MAX_LIST)))
        return MessageList(lei, state, MAX_LIST, len(rows) == MAX_LIST, _messages(session, rows, with_payload=False))


def _party_check(actor: Actor, message_id: int, leis: dict[str, str | None], row: TravelRuleMessageRow) -> None:
    if actor.role == VASP and actor.lei not in {leis.get(row.originator_vasp), leis.get(row.beneficiary_vasp)}:
        raise PermissionDenied(f"{actor.name} (role vasp, LEI {actor.lei}) may read only messages its own VASP "
                               f"sent or received; travel-rule message {message_id} is between "
                               f"{leis.get(row.originator_vasp)} and {leis.get(row.beneficiary_vasp)}")


def show(store: Store, actor: Actor, message_id: int) -> TravelRuleMessage:
    """One message with its payload and status history (a vasp user: only one its VASP sent or received)."""
    authorize(actor, READ)
    with store.read() as session:
        row = session.get(TravelRuleMessageRow, message_id)
        if row is None:
            raise NotFound(f"no travel-rule message {message_id}", field="id")
        leis = leis_of(session, {row.originator_vasp, row.beneficiary_vasp})
        _party_check(actor, message_id, leis, row)
        return _message(row, leis, _payload(session, row.id))


def _decide(store: Store, actor: Actor, message_id: int, reason: str, to_state: str) -> TravelRuleMessage:
    authorize(actor, DECIDE)
    reason = _plain(reason, "reason", "the reason for the decision", MAX_REASON)
    with store.transaction() as session:
        row = session.get(TravelRuleMessageRow, message_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no travel-rule message {message_id}", field="id")
        leis = leis_of(session, {row.originator_vasp, row.beneficiary_vasp})
        bene_lei = leis.get(row.beneficiary_vasp)
        if actor.lei is None or actor.lei != bene_lei:
            raise PermissionDenied(f"{actor.name} (role {actor.role}, LEI {actor.lei}) may decide only messages "
                                   f"addressed to its own VASP; travel-rule message {message_id} is addressed "
                                   f"to {bene_lei} ({row.beneficiary_vasp})")
        if row.state != PENDING:
            raise InputError(f"travel-rule message {message_id} was already {row.state} by {row.decided_by}; "
                             "only a pending message can be decided", field="id")
        if to_state == APPROVED:  # accepting a transfer needs a licence to receive it now; refusing never does
            transfer_vasp(session, bene_lei, "id", "beneficiary")
        row.state, row.decided_at, row.decided_by, row.reason = to_state, datetime.now(UTC), actor.name, reason
        record(session, actor=actor.name, action=DECISION_ACTIONS[to_state],
               subject=f"travel-rule message {row.id}",
               payload={"id": row.id, "beneficiary_vasp": row.beneficiary_vasp,
                        "beneficiary_lei": bene_lei, "state": to_state,
                        "reason": row.reason})
        return _message(row, leis)


def approve(store: Store, actor: Actor, message_id: int, reason: str) -> TravelRuleMessage:
    """The beneficiary VASP accepts a pending inquiry addressed to it."""
    return _decide(store, actor, message_id, reason, APPROVED)


def reject(store: Store, actor: Actor, message_id: int, reason: str) -> TravelRuleMessage:
    """The beneficiary VASP refuses a pending inquiry addressed to it."""
    return _decide(store, actor, message_id, reason, REJECTED)
