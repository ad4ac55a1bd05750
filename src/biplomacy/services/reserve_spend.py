"""Spend approvals: propose (policy first), collect signed PSBTs, count distinct valid signers, broadcast at M."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from biplomacy import audit
from biplomacy.adapters.store.db import Store
from biplomacy.adapters.store.tables.reserve import (
    AddressRow,
    LedgerEntryRow,
    SpendProposalRow,
    SpendSignatureRow,
    WalletRow,
)
from biplomacy.errors import InputError, NotFound, PermissionDenied, PolicyViolation
from biplomacy.permissions import Actor, authorize
from biplomacy.ports import ChainSource
from biplomacy.reserve import ledger, policy
from biplomacy.reserve import rehearsal_chain as rc
from biplomacy.reserve import spend_psbt as sp
from biplomacy.reserve.descriptors import embit_network
from biplomacy.reserve.policy_figures import policy_figures
from biplomacy.services.reserve_wallets import descriptor_of, load, reveal
from biplomacy.units import Btc

OPEN = ("collecting", "ready")
MAX_FEE_RATE = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def _proposal(session: Session, proposal_id: str) -> SpendProposalRow:
    row = session.get(SpendProposalRow, proposal_id.strip())
    if row is None:
        raise NotFound(f"no spend proposal {proposal_id[:40]!r}", field="id")
    return row


def _inputs_of(psbt: PSBT) -> list[sp.SpendInput]:
    """The coins a stored proposal spends, read back from its own PSBT (value and derivation path)."""
    out = []
    for txin, scope in zip(psbt.tx.vin, psbt.inputs, strict=True):
        path = next(iter(scope.bip32_derivations.values())).derivation
        out.append(sp.SpendInput(txin.txid.hex(), txin.vout, scope.witness_utxo.value, path[-2] == 1, path[-1]))
    return out


def _locked(session: Session, wallet_id: int) -> set[tuple[str, int]]:
    rows = session.scalars(select(SpendProposalRow.psbt).where(SpendProposalRow.wallet_id == wallet_id,
                                                               SpendProposalRow.state.in_(OPEN)))
    return {(c.txid, c.vout) for text in rows for c in _inputs_of(PSBT.from_base64(text))}


def propose(store: Store, actor: Actor, chain: ChainSource | None, name: str, to: str, amount: str, purpose: str,
            fee_rate: int = 2, approval: str = "") -> dict[str, Any]:
    """Build the unsigned PSBT of a spend after the wallet's policy profile accepts it."""
    authorize(actor, "reserve.spend.propose")
    if not purpose.strip():
        raise InputError("state the purpose of the spend (--purpose)", field="purpose")
    if not 1 <= fee_rate <= MAX_FEE_RATE:
        raise InputError(f"fee rate must be 1 to {MAX_FEE_RATE} sat/vB", field="fee_rate")
    sats = Btc.parse(amount).sats.value
    with store.read() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        destination = rc.script_for(to)
        if rc.address_of(destination, embit_network(row.network)) != to.strip():
            raise InputError(f"address {to[:100]!r} is not an address of the {row.network} network", field="to")
        locked = _locked(session, row.id)
        index_of = {a.address: (a.change, a.index) for a in session.scalars(
            select(AddressRow).where(AddressRow.wallet_id == row.id))}
        coins = [e for e in session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id,
                                                                         LedgerEntryRow.status == "confirmed"))
                 if (e.txid, e.vout) not in locked and e.address in index_of]
        is_reserve = session.scalars(select(AddressRow.id).where(AddressRow.address == to.strip())).first()
        ctx = policy.SpendContext(row.policy, sats, is_reserve is not None, row.threshold,
                                  len(wallet.keys), approval, policy_figures())
        findings = policy.check_spend(ctx)
        blocked = [f for f in findings if f.severity == "block"]
        if blocked:
            raise PolicyViolation(f"policy {row.policy} refuses this spend: " + "; ".join(f.message for f in blocked))
        need = policy.required_threshold(ctx)
        pool = [sp.SpendInput(e.txid, e.vout, e.sats, *index_of[e.address]) for e in coins]
        selection = sp.select_coins(pool, sats, fee_rate, need, len(wallet.keys))
    with_parents = [sp.SpendInput(c.txid, c.vout, c.sats, c.change, c.index,
                                  chain.tx_hex(c.txid) if chain else None) for c in selection.inputs]
    selection = sp.Selection(with_parents, selection.fee, selection.change_sats)
    with store.transaction() as session:
        row = load(session, name)
        change_index = row.next_change_index
        psbt = sp.build_psbt(wallet, selection, destination, sats, change_index)
        if selection.change_sats:
            reveal(session, row, wallet, change_index, True)
            row.next_change_index = change_index + 1
        proposal = SpendProposalRow(id=f"sp-{uuid.uuid4().hex[:10]}", wallet_id=row.id, destination=to.strip(),
                                    amount_sats=sats, fee_sats=selection.fee, purpose=purpose.strip(),
                                    psbt=psbt.to_base64(), unsigned_txid=psbt.tx.txid().hex(), state="collecting",
                                    threshold=need, txid=None, created_by=actor.name, created_at=_now())
        session.add(proposal)
        session.flush()
        audit.record(session, actor=actor.name, action="reserve.spend.propose", subject=proposal.id,
                     payload={"wallet": name, "to": proposal.destination, "sats": sats, "fee": selection.fee,
                              "purpose": proposal.purpose, "threshold": need, "approval": approval,
                              "unsigned_txid": proposal.unsigned_txid, "findings": [f.message for f in findings]})
        return {"id": proposal.id, "psbt": proposal.psbt, "wallet": name, "to": proposal.destination,
                "amount_btc": ledger.btc_text(sats), "fee_sats": selection.fee, "threshold": need,
                "purpose": proposal.purpose, "policy": row.policy, "policy_findings": [f.message for f in findings]}


def _status(session: Session, row: SpendProposalRow) -> dict[str, Any]:
    signers = list(session.scalars(select(SpendSignatureRow.fingerprint).where(SpendSignatureRow.proposal_id == row.id)
                                   .order_by(SpendSignatureRow.id)))
    wallet = session.get(WalletRow, row.wallet_id)
    assert wallet is not None
    return {"id": row.id, "wallet": wallet.name, "to": row.destination, "amount_btc": ledger.btc_text(row.amount_sats),
            "fee_sats": row.fee_sats, "purpose": row.purpose, "threshold": row.threshold, "valid_signers": signers,
            "ready": len(signers) >= row.threshold, "state": row.state, "txid": row.txid}


def unsigned_psbt(store: Store, actor: Actor, proposal_id: str) -> str:
    """The proposal's unsigned PSBT (base64), for a signer to take to their device."""
    _may_upload(actor)
    with store.read() as session:
        return _proposal(session, proposal_id).psbt


def status(store: Store, actor: Actor, proposal_id: str) -> dict[str, Any]:
    authorize(actor, "reserve.read")
    with store.read() as session:
        return _status(session, _proposal(session, proposal_id))


def _may_upload(actor: Actor) -> None:
    """A signer uploads their own PSBT, or the coordinator (who may propose) uploads the files signers sent.

    Either way the signature inside is what counts: it is verified against the wallet's keys and the
    signer is named by their key's fingerprint, not by who uploaded the file.
    """
    try:
        authorize(actor, "reserve.spend.sign")
    except PermissionDenied:
        authorize(actor, "reserve.spend.propose")


def submit(store: Store, actor: Actor, proposal_id: str, data: bytes) -> dict[str, Any]:
    """Check a signer's PSBT; store it only when it adds a new valid signer. A refusal changes nothing."""
    _may_upload(actor)
    upload = sp.read_psbt(data)
    with store.read() as session:
        row = _proposal(session, proposal_id)
        wallet = descriptor_of(session.get(WalletRow, row.wallet_id))  # type: ignore[arg-type]
        proposal = PSBT.from_base64(row.psbt)
        info = _status(session, row)
    if info["state"] not in OPEN:
        return {"accepted": False, "reason": f"proposal is {info['state']}; it takes no more signatures", **info}
    check = sp.check_upload(wallet, proposal, _inputs_of(proposal), upload)
    if not check.accepted:
        return {"accepted": False, "reason": check.reason, **info}
    new = [fp for fp in check.fingerprints if fp not in info["valid_signers"]]
    if not new:
        return {"accepted": False, "reason": f"duplicate signer: {', '.join(check.fingerprints)} already signed "
                                             "this proposal", **info}
    try:
        return _record_signers(store, actor, proposal_id, new, upload)
    except IntegrityError:  # another upload by the same signer won the race: nothing of this one is stored
        with store.read() as session:
            info = _status(session, _proposal(session, proposal_id))
        return {"accepted": False, "reason": f"duplicate signer: {', '.join(new)} already signed this proposal",
                **info}


def _record_signers(store: Store, actor: Actor, proposal_id: str, new: list[str], upload: PSBT) -> dict[str, Any]:
    with store.transaction() as session:
        row = _proposal(session, proposal_id)
        for fp in new:
            session.add(SpendSignatureRow(proposal_id=row.id, fingerprint=fp, psbt=upload.to_base64(),
                                          submitted_by=actor.name, created_at=_now()))
        session.flush()
        count = len(_status(session, row)["valid_signers"])
        if count >= row.threshold:
            row.state = "ready"
        audit.record(session, actor=actor.name, action="reserve.spend.sign", subject=row.id,
                     payload={"signers": new, "count": count, "threshold": row.threshold, "state": row.state})
        return {"accepted": True, "reason": None, "new_signers": new, **_status(session, row)}


def broadcast(store: Store, actor: Actor, chain: ChainSource, proposal_id: str) -> dict[str, Any]:
    """Finalise with M signatures and broadcast; refused unless the proposal is ready."""
    authorize(actor, "reserve.spend.broadcast")
    with store.read() as session:
        row = _proposal(session, proposal_id)
        info = _status(session, row)
        if row.state == "broadcast":
            raise InputError(f"proposal {row.id} was already broadcast as {row.txid}", field="id")
        if not info["ready"]:
            raise InputError(f"proposal {row.id} is not ready: {len(info['valid_signers'])} of {row.threshold} "
                             "valid signatures", field="id")
        signed = [PSBT.from_base64(s.psbt) for s in session.scalars(
            select(SpendSignatureRow).where(SpendSignatureRow.proposal_id == row.id))]
        unsigned = PSBT.from_base64(row.psbt)
    tx_hex = sp.combine_and_finalize(unsigned, signed)
    spent = [(c.txid, c.vout) for c in _inputs_of(unsigned)]
    txid = chain.broadcast(tx_hex)
    with store.transaction() as session:
        row = _proposal(session, proposal_id)
        row.state, row.txid = "broadcast", txid
        for txid_in, vout in spent:
            entry = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.wallet_id,
                                                                 LedgerEntryRow.txid == txid_in,
                                                                 LedgerEntryRow.vout == vout)).first()
            if entry is not None:
                entry.status, entry.updated_at = "spent", _now()
        audit.record(session, actor=actor.name, action="reserve.spend.broadcast", subject=row.id,
                     payload={"txid": txid, "hex": tx_hex})
        return {"txid": txid, **_status(session, row)}


def cancel(store: Store, actor: Actor, proposal_id: str, reason: str) -> dict[str, Any]:
    """Withdraw a proposal that was not broadcast; its coins become spendable by other proposals again."""
    authorize(actor, "reserve.spend.propose")
    if not reason.strip():
        raise InputError("say why the proposal is cancelled (--reason)", field="reason")
    with store.transaction() as session:
        row = _proposal(session, proposal_id)
        if row.state not in OPEN:
            raise InputError(f"proposal {row.id} is {row.state}; only an open proposal can be cancelled", field="id")
        row.state = "cancelled"
        audit.record(session, actor=actor.name, action="reserve.spend.cancel", subject=row.id,
                     payload={"reason": reason.strip()})
        return _status(session, row)
