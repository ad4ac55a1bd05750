"""Spend approvals: propose (policy first, by a spending path), collect signed PSBTs, count distinct valid signers,
broadcast at M. A recovery path spends only the coins its timelock has opened for; a broadcast or cancel of a
rotation's sweep moves the reserve's lifecycle on (lineage.py) in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, PolicyViolation
from biplomacy.core.networks import embit_network
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.ports import ChainSource
from biplomacy.core.units import Btc
from biplomacy.house import audit
from biplomacy.reserve import lineage, signatures
from biplomacy.reserve.model import ledger, policy, timelocks
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.descriptors import WalletDescriptor
from biplomacy.reserve.model.states import OPEN_SPEND, SpendState
from biplomacy.reserve.price import policy_figures
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.results import SpendBroadcast, SpendProposal, SpendStatus
from biplomacy.reserve.tables import AddressRow, LedgerEntryRow, SpendProposalRow, SpendSignatureRow, WalletRow
from biplomacy.reserve.wallets import descriptor_of, load, reveal
from biplomacy.store.db import Store

MAX_FEE_RATE = 1000


def _closed(row: SpendProposalRow) -> str | None:
    return None if row.state.is_open else f"proposal is {row.state}; it takes no more signatures"


def _now() -> datetime:
    return datetime.now(UTC)


def _inputs_of(psbt: PSBT) -> list[sp.SpendInput]:
    """The coins a stored proposal spends, read back from its own PSBT (value and derivation path: a change
    branch is odd, <0;1> or a recovery key's <2;3>...)."""
    out = []
    for txin, scope in zip(psbt.tx.vin, psbt.inputs, strict=True):
        path = (next(iter(scope.bip32_derivations.values())).derivation if scope.bip32_derivations
                else tap.coin_path(scope))
        out.append(sp.SpendInput(txin.txid.hex(), txin.vout, scope.witness_utxo.value, path[-2] % 2 == 1, path[-1]))
    return out


def _locked(session: Session, wallet_id: int) -> set[tuple[str, int]]:
    rows = session.scalars(select(SpendProposalRow.psbt).where(SpendProposalRow.wallet_id == wallet_id,
                                                               SpendProposalRow.state.in_(OPEN_SPEND)))
    return {(c.txid, c.vout) for text in rows for c in _inputs_of(PSBT.from_base64(text))}


@dataclass(frozen=True)
class Coins:
    """A wallet's confirmed coins that no open proposal holds, each with its derivation and height."""

    pool: list[sp.SpendInput]
    aged: list[timelocks.AgedCoin]
    tip: int


def free_coins(session: Session, row: WalletRow, chain: ChainSource | None) -> Coins:
    """The confirmed coins a new proposal may spend (coins of open proposals are locked), and the tip their ages
    are counted from (the chain's, else the height of the last sync)."""
    locked = _locked(session, row.id)
    index_of = {a.address: (a.change, a.index) for a in session.scalars(
        select(AddressRow).where(AddressRow.wallet_id == row.id))}
    coins = [e for e in session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.id,
                                                                     LedgerEntryRow.status == "confirmed"))
             if (e.txid, e.vout) not in locked and e.address in index_of]
    tip = chain.tip_height() if chain is not None else row.synced_height
    return Coins([sp.SpendInput(e.txid, e.vout, e.sats, *index_of[e.address]) for e in coins],
                 [timelocks.AgedCoin(e.txid, e.vout, e.sats, e.block_height if e.block_height is not None else tip)
                  for e in coins], tip)


def witness_of(wallet: WalletDescriptor, path: str) -> int | None:
    """One input's witness bytes for `path` (None: a plain wallet, whose estimate is spend_psbt's own)."""
    return sp.path_witness(wallet, wallet.path(path)) if wallet.has_recovery else None


def propose(store: Store, actor: Actor, chain: ChainSource | None, name: str, to: str, amount: str, purpose: str,
            fee_rate: int = 2, approval: str = "", path: str = "primary") -> SpendProposal:
    """Build the unsigned PSBT of a spend by `path` after the wallet's policy profile accepts it; a recovery path
    spends only coins it is open for, and is refused with the blocks left until it opens for enough of them."""
    authorize(actor, "reserve.spend.propose")
    if not purpose.strip():
        raise InputError("state the purpose of the spend", field="purpose")
    check_fee_rate(fee_rate)
    sats = Btc.parse(amount).sats.value
    with store.read() as session:
        row = load(session, name)
        wallet = descriptor_of(row)
        spend_path = wallet.path(path)
        destination = rc.script_for(to)
        if rc.address_of(destination, embit_network(row.network)) != to.strip():
            raise InputError(f"address {to[:100]!r} is not an address of the {row.network} network", field="to")
        coins = free_coins(session, row, chain)
        is_reserve = session.scalars(select(AddressRow.id).where(AddressRow.address == to.strip())).first()
        ctx = policy.SpendContext(row.policy, sats, is_reserve is not None, spend_path.threshold,
                                  len(spend_path.keys), approval, policy_figures(store))
        findings = policy.check_spend(ctx)
        blocked = [f for f in findings if f.severity == "block"]
        if blocked:
            raise PolicyViolation(f"policy {row.policy} refuses this spend: " + "; ".join(f.message for f in blocked))
        need = policy.required_threshold(ctx)
        open_now = {(c.txid, c.vout) for c in timelocks.open_coins(coins.aged, spend_path, coins.tip)}
        pool = [c for c in coins.pool if (c.txid, c.vout) in open_now]
        # the script takes exactly the path's m signatures; a policy threshold above m only gates the broadcast
        m = spend_path.threshold if wallet.is_taproot or wallet.has_recovery else need
        try:
            selection = sp.select_coins(pool, sats, fee_rate, m, len(spend_path.keys), wallet.is_taproot,
                                        witness_of(wallet, path))
        except InputError:
            timelocks.refuse_early(coins.aged, spend_path, coins.tip, sats)  # says how many blocks remain
            raise
    return store_proposal(store, actor, chain, name, wallet, selection, destination, sats,
                  Draft(path, "spend", purpose.strip(), need, approval, findings, to.strip()))


@dataclass(frozen=True)
class Draft:
    """What a proposal says besides its coins: its path and kind, purpose, threshold, and the policy's words."""

    path: str
    kind: str
    purpose: str
    threshold: int
    approval: str
    findings: list[policy.Finding]
    destination: str  # the address ("" for a refresh: the wallet's next change address, chosen when stored)
    audit: dict[str, Any] | None = None  # more to record (a refresh's coins, a rotation's wallets)


def store_proposal(store: Store, actor: Actor, chain: ChainSource | None, name: str, wallet: WalletDescriptor,
                   selection: sp.Selection, destination: bytes, sats: int, draft: Draft) -> SpendProposal:
    """Write the proposal's PSBT (with the coins' parent transactions for hardware wallets) and record it."""
    selection = with_parents(chain, selection)
    with store.transaction() as session:
        return record_proposal(session, actor, name, wallet, selection, destination, sats, draft)


def with_parents(chain: ChainSource | None, selection: sp.Selection) -> sp.Selection:
    """The selection with each coin's parent transaction (a hardware wallet checks the amounts against it)."""
    inputs = [sp.SpendInput(c.txid, c.vout, c.sats, c.change, c.index, chain.tx_hex(c.txid) if chain else None)
              for c in selection.inputs]
    return sp.Selection(inputs, selection.fee, selection.change_sats)


def record_proposal(session: Session, actor: Actor, name: str, wallet: WalletDescriptor, selection: sp.Selection,
                    destination: bytes, sats: int, draft: Draft) -> SpendProposal:
    """Store the proposal in the caller's transaction (a rotation stores its sweep with the successor wallet)."""
    row = load(session, name)
    own = None
    to = draft.destination
    if draft.kind == "refresh":  # back to the wallet itself, at its next change address
        own = row.next_change_index
        to = reveal(session, row, wallet, own, True)
        destination = wallet.script_pubkey(own, True)
        row.next_change_index = own + 1
    change_index = row.next_change_index
    psbt = sp.build_psbt(wallet, selection, destination, sats, change_index, draft.path, own)
    if selection.change_sats:
        reveal(session, row, wallet, change_index, True)
        row.next_change_index = change_index + 1
    proposal = SpendProposalRow(id=f"sp-{uuid.uuid4().hex[:10]}", wallet_id=row.id, destination=to,
                                amount_sats=sats, fee_sats=selection.fee, purpose=draft.purpose,
                                psbt=psbt.to_base64(), unsigned_txid=psbt.tx.txid().hex(),
                                state=SpendState.COLLECTING, threshold=draft.threshold, txid=None,
                                created_by=actor.name, created_at=_now(), path=draft.path, kind=draft.kind)
    session.add(proposal)
    session.flush()
    audit.record(session, actor=actor.name, action="reserve.spend.propose", subject=proposal.id,
                 payload={"wallet": name, "to": proposal.destination, "sats": sats, "fee": selection.fee,
                          "purpose": proposal.purpose, "threshold": draft.threshold, "approval": draft.approval,
                          "unsigned_txid": proposal.unsigned_txid, "findings": [f.message for f in draft.findings],
                          "path": draft.path, "kind": draft.kind, **(draft.audit or {})})
    return SpendProposal(proposal.id, proposal.psbt, name, proposal.destination, ledger.btc_amount(sats),
                         selection.fee, draft.threshold, proposal.purpose, row.policy,
                         tuple(f.message for f in draft.findings), draft.path, draft.kind)


def check_fee_rate(fee_rate: int) -> None:
    if not 1 <= fee_rate <= MAX_FEE_RATE:
        raise InputError(f"fee rate must be 1 to {MAX_FEE_RATE} sat/vB", field="fee_rate")


def _status(session: Session, row: SpendProposalRow) -> SpendStatus:
    return SpendStatus(**SPEND.progress(session, row), to=row.destination,
                       amount_btc=ledger.btc_amount(row.amount_sats), fee_sats=row.fee_sats, purpose=row.purpose,
                       txid=row.txid, path=row.path, kind=row.kind)


def _proposal(session: Session, proposal_id: str) -> SpendProposalRow:
    row: SpendProposalRow = SPEND.load(session, proposal_id)
    return row


SPEND = signatures.Ceremony(
    noun="proposal", title="spend proposal", target=SpendProposalRow, signatures=SpendSignatureRow,
    states=SpendState, parent="proposal_id", coordinator="reserve.spend.propose", action="reserve.spend.sign",
    closed=_closed, inputs=lambda row: _inputs_of(PSBT.from_base64(row.psbt)), describe=_status,
    path=lambda row: row.path)
unsigned_psbt = SPEND.unsigned_psbt  # signers download the PSBT, upload it signed; anyone may read the status
submit = SPEND.submit
status = SPEND.status


def waiting(store: Store, actor: Actor, wallet: str | None = None) -> list[SpendStatus]:
    """The proposals still open (collecting signatures, or ready to broadcast), oldest first: what a signer whose
    own wallet (Electrum, Sparrow, a Coldcard) cannot know of is told here (signers and the coordinator)."""
    SPEND.may_upload(actor)
    with store.read() as session:
        q = select(SpendProposalRow).where(SpendProposalRow.state.in_(OPEN_SPEND))
        if wallet:
            q = q.where(SpendProposalRow.wallet_id == load(session, wallet).id)
        rows = session.scalars(q.order_by(SpendProposalRow.created_at, SpendProposalRow.id)).all()
        return [_status(session, r) for r in rows]


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
        swept = []
        for txid_in, vout in spent:
            entry = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == row.wallet_id,
                                                                 LedgerEntryRow.txid == txid_in,
                                                                 LedgerEntryRow.vout == vout)).first()
            if entry is not None:
                entry.status, entry.updated_at = "spent", _now()
                swept.append(entry)
        audit.record(session, actor=actor.name, action="reserve.spend.broadcast", subject=row.id,
                     payload={"txid": txid, "hex": tx_hex})
        lineage.on_broadcast(session, actor.name, row, txid, swept)
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
        lineage.on_cancel(session, actor.name, row)
        return _status(session, row)
