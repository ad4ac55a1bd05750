"""Spend approvals: propose (policy first), collect signed PSBTs, count distinct valid signers, broadcast at M."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from embit.psbt import PSBT
from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, PolicyViolation
from biplomacy.core.networks import embit_network
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.ports import ChainSource
from biplomacy.core.units import Btc
from biplomacy.house import audit
from biplomacy.reserve import signatures
from biplomacy.reserve.model import ledger, policy
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.policy_figures import policy_figures
from biplomacy.reserve.model.states import OPEN_SPEND, SpendState
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.results import SpendBroadcast, SpendProposal, SpendStatus
from biplomacy.reserve.tables import AddressRow, LedgerEntryRow, SpendProposalRow, SpendSignatureRow
from biplomacy.reserve.wallets import descriptor_of, load, reveal
from biplomacy.store.db import Store

MAX_FEE_RATE = 1000


def _closed(row: SpendProposalRow) -> str | None:
    return None if row.state.is_open else f"proposal is {row.state}; it takes no more signatures"


def _now() -> datetime:
    return datetime.now(UTC)


def _inputs_of(psbt: PSBT) -> list[sp.SpendInput]:
    """The coins a stored proposal spends, read back from its own PSBT (value and derivation path)."""
    out = []
    for txin, scope in zip(psbt.tx.vin, psbt.inputs, strict=True):
        path = (next(iter(scope.bip32_derivations.values())).derivation if scope.bip32_derivations
                else tap.coin_path(scope))
        out.append(sp.SpendInput(txin.txid.hex(), txin.vout, scope.witness_utxo.value, path[-2] == 1, path[-1]))
    return out


def _locked(session: Session, wallet_id: int) -> set[tuple[str, int]]:
    rows = session.scalars(select(SpendProposalRow.psbt).where(SpendProposalRow.wallet_id == wallet_id,
                                                               SpendProposalRow.state.in_(OPEN_SPEND)))
    return {(c.txid, c.vout) for text in rows for c in _inputs_of(PSBT.from_base64(text))}


def propose(store: Store, actor: Actor, chain: ChainSource | None, name: str, to: str, amount: str, purpose: str,
            fee_rate: int = 2, approval: str = "") -> SpendProposal:
    """Build the unsigned PSBT of a spend after the wallet's policy profile accepts it."""
    authorize(actor, "reserve.spend.propose")
    if not purpose.strip():
        raise InputError("state the purpose of the spend", field="purpose")
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
        # the script takes exactly the wallet's M signatures; a policy threshold above M only gates the broadcast
        m = wallet.threshold if wallet.is_taproot else need
        selection = sp.select_coins(pool, sats, fee_rate, m, len(wallet.keys), wallet.is_taproot)
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
                                    psbt=psbt.to_base64(), unsigned_txid=psbt.tx.txid().hex(),
                                    state=SpendState.COLLECTING,
                                    threshold=need, txid=None, created_by=actor.name, created_at=_now())
        session.add(proposal)
        session.flush()
        audit.record(session, actor=actor.name, action="reserve.spend.propose", subject=proposal.id,
                     payload={"wallet": name, "to": proposal.destination, "sats": sats, "fee": selection.fee,
                              "purpose": proposal.purpose, "threshold": need, "approval": approval,
                              "unsigned_txid": proposal.unsigned_txid, "findings": [f.message for f in findings]})
        return SpendProposal(proposal.id, proposal.psbt, name, proposal.destination, ledger.btc_amount(sats),
                             selection.fee, need, proposal.purpose, row.policy, tuple(f.message for f in findings))


def _status(session: Session, row: SpendProposalRow) -> SpendStatus:
    return SpendStatus(**SPEND.progress(session, row), to=row.destination,
                       amount_btc=ledger.btc_amount(row.amount_sats), fee_sats=row.fee_sats, purpose=row.purpose,
                       txid=row.txid)


def _proposal(session: Session, proposal_id: str) -> SpendProposalRow:
    row: SpendProposalRow = SPEND.load(session, proposal_id)
    return row


SPEND = signatures.Ceremony(
    noun="proposal", title="spend proposal", target=SpendProposalRow, signatures=SpendSignatureRow,
    states=SpendState, parent="proposal_id", coordinator="reserve.spend.propose", action="reserve.spend.sign",
    closed=_closed, inputs=lambda row: _inputs_of(PSBT.from_base64(row.psbt)), describe=_status)
unsigned_psbt = SPEND.unsigned_psbt  # signers download the PSBT, upload it signed; anyone may read the status
submit = SPEND.submit
status = SPEND.status


def broadcast(store: Store, actor: Actor, chain: ChainSource, proposal_id: str) -> SpendBroadcast:
    """Finalise with M signatures and broadcast; refused unless the proposal is ready."""
    authorize(actor, "reserve.spend.broadcast")
    with store.read() as session:
        row = _proposal(session, proposal_id)
        if row.state == SpendState.BROADCAST:
            raise InputError(f"proposal {row.id} was already broadcast as {row.txid}", field="id")
        if not row.state.is_open:
            raise InputError(f"proposal {row.id} is {row.state}; it cannot be broadcast", field="id")
        signed = SPEND.signed_psbts(session, row)
        unsigned = PSBT.from_base64(row.psbt)
    tx_hex = sp.combine_and_finalize(unsigned, signed)
    spent = [(c.txid, c.vout) for c in _inputs_of(unsigned)]
    txid = chain.broadcast(tx_hex)
    with store.transaction() as session:
        row = _proposal(session, proposal_id)
        row.state, row.txid = SpendState.BROADCAST, txid
        for txid_in, vout in spent:
            entry = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.wallet_id,
                                                                 LedgerEntryRow.txid == txid_in,
                                                                 LedgerEntryRow.vout == vout)).first()
            if entry is not None:
                entry.status, entry.updated_at = "spent", _now()
        audit.record(session, actor=actor.name, action="reserve.spend.broadcast", subject=row.id,
                     payload={"txid": txid, "hex": tx_hex})
        return SpendBroadcast(txid, _status(session, row))


def cancel(store: Store, actor: Actor, proposal_id: str, reason: str) -> SpendStatus:
    """Withdraw a proposal that was not broadcast; its coins become spendable by other proposals again."""
    authorize(actor, "reserve.spend.propose")
    if not reason.strip():
        raise InputError("say why the proposal is cancelled", field="reason")
    with store.transaction() as session:
        row = _proposal(session, proposal_id)
        if not row.state.is_open:
            raise InputError(f"proposal {row.id} is {row.state}; only an open proposal can be cancelled", field="id")
        row.state = SpendState.CANCELLED
        audit.record(session, actor=actor.name, action="reserve.spend.cancel", subject=row.id,
                     payload={"reason": reason.strip()})
        return _status(session, row)
