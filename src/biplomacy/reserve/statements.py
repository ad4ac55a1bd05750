"""Reserve statements: build a proof of funds at the rehearsal tip, collect M signed PSBTs, finalize, publish.

The final statement (`document`, `latest`) and the chain data it is checked against (`chain_data`) stay dicts:
each is a published file format that `reserve verify-statement` reads, key for key (model/statement.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit
from biplomacy.reserve import signatures
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model import statement as st
from biplomacy.reserve.model.ledger import btc_amount, btc_text
from biplomacy.reserve.model.states import StatementState
from biplomacy.reserve.rehearsal import chain as rehearsal_chain
from biplomacy.reserve.results import StatementBuilt, StatementPublished, StatementStatus
from biplomacy.reserve.tables import StatementRow, StatementSignatureRow, WalletRow
from biplomacy.reserve.wallets import descriptor_of, load, unspent
from biplomacy.store.db import Store

MAX_MESSAGE = 2000


def _coins(row: StatementRow) -> list[st.Coin]:
    return [st.Coin(**c) for c in json.loads(row.utxos)]


def _inputs(row: StatementRow) -> list[sp.SpendInput]:
    """Input 0 spends the message's to_spend (no wallet coin); then the coins proven, in order."""
    return [sp.SpendInput("", 0, 0, False, 0)] + [sp.SpendInput(c.txid, c.vout, c.sats, c.change, c.index)
                                                  for c in _coins(row)]


def _fields(session: Session, row: StatementRow) -> dict[str, Any]:
    """The fields of a StatementStatus (and of the records that extend it), as keyword arguments."""
    return {**STATEMENT.progress(session, row), "message": row.message, "height": row.height,
            "block_hash": row.block_hash, "utxos": len(_coins(row)), "total_btc": btc_amount(row.total_sats),
            "total_sats": row.total_sats}


def _status(session: Session, row: StatementRow) -> StatementStatus:
    return StatementStatus(**_fields(session, row))


STATEMENT = signatures.Ceremony(
    noun="statement", title="reserve statement", target=StatementRow, signatures=StatementSignatureRow,
    states=StatementState, parent="statement_id", coordinator="reserve.statement.publish",
    action="reserve.statement.sign",
    closed=lambda row: "the statement is final; it takes no more signatures" if row.state == StatementState.FINAL
    else None,
    inputs=_inputs, describe=_status,
    other_transaction="this PSBT signs another statement (other message, snapshot or coins)")
unsigned_psbt = STATEMENT.unsigned_psbt  # signers download the PSBT, upload it signed; anyone may read the status
submit = STATEMENT.submit
status = STATEMENT.status


def _row(session: Session, statement_id: str) -> StatementRow:
    row: StatementRow = STATEMENT.load(session, statement_id)
    return row


def build(store: Store, actor: Actor, name: str, message: str) -> StatementBuilt:
    """A pending statement over the wallet's confirmed coins at the rehearsal tip, with its unsigned PSBT."""
    authorize(actor, "reserve.statement.publish")
    text = message.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise InputError(f"the statement's message must be 1 to {MAX_MESSAGE} characters", field="message")
    tip = rehearsal_chain.tip(store)
    height, block_hash = tip.height, tip.hash
    with store.read() as session:
        wallet_row = load(session, name)
        synced, wallet = wallet_row.synced_height, descriptor_of(wallet_row)
    if synced != height:
        raise InputError(f"wallet {name} was synced at height {synced}, the chain tip is {height}: run "
                         f"`biplomacy reserve sync {name}` so the statement lists the coins at the tip", field="name")
    proven = [st.Coin(c.txid, c.vout, c.sats, wallet.script_pubkey(c.index, bool(c.change)).hex(), bool(c.change),
                      c.index) for c in unspent(store, name) if c.index is not None and (c.height or 0) <= height]
    if not proven:
        raise InputError(f"wallet {name} has no confirmed coins to prove; sync it first", field="name")
    psbt = st.build_pof_psbt(wallet, st.signed_message(text, name, height, block_hash), proven)
    total = sum(c.sats for c in proven)
    with store.transaction() as session:
        wallet_row = load(session, name)
        row = StatementRow(id=f"rs-{uuid.uuid4().hex[:10]}", wallet_id=wallet_row.id, message=text, height=height,
                           block_hash=block_hash, utxos=json.dumps([c.as_dict() for c in proven]), total_sats=total,
                           psbt=psbt.to_base64(), threshold=wallet_row.threshold,
                           state=StatementState.COLLECTING,
                           statement=None, created_by=actor.name, created_at=datetime.now(UTC), finalized_at=None)
        session.add(row)
        session.flush()
        audit.record(session, actor=actor.name, action="reserve.statement.build", subject=row.id,
                     payload={"wallet": name, "height": height, "block_hash": block_hash, "total_sats": total,
                              "utxos": [f"{c.txid}:{c.vout}" for c in proven], "message": text})
        return StatementBuilt(**_fields(session, row), psbt=row.psbt)


def finalize(store: Store, actor: Actor, statement_id: str) -> StatementPublished:
    """At M valid signatures: build the `pof` signature, check the whole statement, store and publish it."""
    authorize(actor, "reserve.statement.publish")
    with store.read() as session:
        row = _row(session, statement_id)
        if row.state == StatementState.FINAL:
            raise InputError(f"statement {row.id} is already final", field="id")
        signed = STATEMENT.signed_psbts(session, row)
        wallet_row = session.get(WalletRow, row.wallet_id)
        assert wallet_row is not None
        now = datetime.now(UTC)
        doc = {"format": st.FORMAT, "id": row.id, "wallet": wallet_row.name, "network": wallet_row.network,
               "descriptor": wallet_row.descriptor, "address": descriptor_of(wallet_row).address(0, False),
               "threshold": row.threshold, "height": row.height, "block_hash": row.block_hash,
               "message": row.message, "utxos": json.loads(row.utxos), "total_sats": row.total_sats,
               "total_btc": btc_text(row.total_sats), "created_at": now.isoformat(),
               "signature": st.finalize(PSBT.from_base64(row.psbt), signed)}
    check = st.verify_statement(doc)
    if not check.valid:
        raise InputError(f"the finalized statement does not verify: {check.reason}", field="id")
    with store.transaction() as session:
        row = _row(session, statement_id)
        row.state, row.statement, row.finalized_at = StatementState.FINAL, json.dumps(doc), now
        audit.record(session, actor=actor.name, action="reserve.statement.publish", subject=row.id,
                     payload={"height": row.height, "total_sats": row.total_sats, "signers": list(check.signers),
                              "signature": doc["signature"]})
        return StatementPublished(**_fields(session, row), signers=tuple(check.signers))


def document(store: Store, statement_id: str) -> dict[str, Any]:
    """The final statement JSON a reviewer downloads (public once published)."""
    with store.read() as session:
        row = _row(session, statement_id)
        if row.statement is None:
            raise InputError(f"statement {row.id} is {row.state}, not final; finalize it first", field="id")
        return dict(json.loads(row.statement))


def latest(store: Store) -> dict[str, Any] | None:
    """The most recently finalized statement, or None."""
    with store.read() as session:
        row = session.scalars(select(StatementRow).where(StatementRow.state == StatementState.FINAL)
                              .order_by(StatementRow.finalized_at.desc()).limit(1)).first()
        return None if row is None or row.statement is None else dict(json.loads(row.statement))


def chain_data(store: Store, height: int | None = None) -> dict[str, Any]:
    """The rehearsal chain's UTXO set at `height` (default: the latest final statement's, else the tip)."""
    if height is None:
        last = latest(store)
        height = int(last["height"]) if last else rehearsal_chain.tip(store).height
    return rehearsal_chain.utxo_set(store, height)


def check(statement: dict[str, Any]) -> st.Check:
    """A statement document verified offline, as `reserve verify-statement` does without chain data: every
    signature against its coin's script, the coins in the descriptor, the totals (a peer's bundle carries one)."""
    return st.verify_statement(statement)
