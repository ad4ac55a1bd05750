"""Signer rotation: replace a signer (or change M, N, or the recovery paths) by creating the successor wallet and
a sweep proposal that moves every coin of the old wallet to it (what Nunchuk and Casa call key replacement).

The sweep is an ordinary spend proposal of the old wallet (kind "sweep"), signed by its primary path, or by a
recovery path once its timelock has passed for every coin (a recovery after lost keys is a rotation too). It
takes every confirmed coin, so nothing may be pending or held by another open proposal; it pays the successor's
first address, which every signer can compare with the successor's backup sheet. When it is broadcast the
rotation completes (lineage.py): the old wallet is retired, the successor's receipt carries the old coins'
sources, and the audit log names who approved the rotation, under which policy profile. Nothing is stored when
anything is refused.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.errors import InputError, PolicyViolation
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.ports import ChainSource
from biplomacy.house import audit
from biplomacy.reserve import lineage
from biplomacy.reserve import spend as reserve_spend
from biplomacy.reserve.model import policy, timelocks
from biplomacy.reserve.model import spend_psbt as sp
from biplomacy.reserve.model.states import OPEN_SPEND
from biplomacy.reserve.price import policy_figures
from biplomacy.reserve.results import RotationStarted
from biplomacy.reserve.tables import LedgerEntryRow, RotationRow, SpendProposalRow, WalletRow
from biplomacy.reserve.wallets import check_name, check_wallet, descriptor_of, insert_wallet, load, reveal, wallet_view
from biplomacy.store.db import Store


def rotate(store: Store, actor: Actor, chain: ChainSource | None, name: str, to: str, descriptor: str,
           path: str = "primary", fee_rate: int = 2, profile: str | None = None, purpose: str = "",
           public_addresses: bool | None = None) -> RotationStarted:
    """Create the successor `to` (or take it, if it exists with this descriptor and holds nothing) and propose
    the sweep of every coin of `name` to it, by `path`; the successor is held under `profile` (default: the old
    wallet's)."""
    authorize(actor, "reserve.wallet.manage")
    authorize(actor, "reserve.spend.propose")
    check_name(to)
    reserve_spend.check_fee_rate(fee_rate)
    with store.read() as session:
        row = load(session, name)
        old = descriptor_of(row)
        spend_path = old.path(path)
        held = profile or row.policy
        successor = check_wallet(row.network, descriptor, held)
        _refuse_unless_free(session, row, to, successor.text)
        existing = session.scalars(select(WalletRow).where(WalletRow.name == to)).first()
        coins = reserve_spend.free_coins(session, row, chain)
        timelocks.refuse_early(coins.aged, spend_path, coins.tip)  # the sweep spends every coin
        selection, sats, findings, need = None, 0, [], spend_path.threshold
        if coins.pool:
            selection, sats = sp.sweep(coins.pool, fee_rate, spend_path.threshold, len(spend_path.keys),
                                       old.is_taproot, reserve_spend.witness_of(old, path))
            ctx = policy.SpendContext(row.policy, sats, True, spend_path.threshold, len(spend_path.keys), "",
                                      policy_figures(store))
            findings = policy.check_spend(ctx)
            blocked = [f for f in findings if f.severity == "block"]
            if blocked:
                raise PolicyViolation(f"policy {row.policy} refuses this sweep: "
                                      + "; ".join(f.message for f in blocked))
            need = policy.required_threshold(ctx)
        public = row.public_addresses if public_addresses is None else public_addresses
        network, existing_id = row.network, existing.id if existing is not None else None
    if selection is not None:
        selection = reserve_spend.with_parents(chain, selection)
    address = successor.address(0)
    text = purpose.strip() or f"signer rotation: sweep every coin of {name} to its successor {to} ({address})"
    with store.transaction() as session:
        new_row = (session.get(WalletRow, existing_id) if existing_id is not None else
                   insert_wallet(session, actor, network, to, successor, held, public))
        assert new_row is not None
        reveal(session, new_row, successor, 0, False, address)
        new_row.next_index = max(new_row.next_index, 1)
        rotation_id = f"rot-{uuid.uuid4().hex[:10]}"
        sweep = None
        if selection is not None:
            sweep = reserve_spend.record_proposal(
                session, actor, name, old, selection, successor.script_pubkey(0), sats,
                reserve_spend.Draft(path, "sweep", text, need, "", findings, address,
                                    {"rotation": rotation_id, "successor": to}))
        now = datetime.now(UTC)
        state = lineage.SWEEPING if sweep is not None else lineage.COMPLETE
        session.add(RotationRow(id=rotation_id, from_wallet_id=load(session, name).id, to_wallet_id=new_row.id,
                                proposal_id=sweep.id if sweep else None, profile=held, path=path, state=state,
                                txid=None, created_by=actor.name, created_at=now,
                                completed_at=None if sweep is not None else now))
        session.flush()
        audit.record(session, actor=actor.name, action="reserve.wallet.rotate", subject=rotation_id,
                     payload={"from": name, "to": to, "profile": held, "path": path, "descriptor": successor.text,
                              "proposal": sweep.id if sweep else None, "coins": len(selection.inputs)
                              if selection else 0, "sats": sats, "state": state})
        return RotationStarted(rotation_id, name, wallet_view(new_row), held, path, state, sweep)


def _refuse_unless_free(session: Session, row: WalletRow, to: str, successor_text: str) -> None:
    """Refused by name: a wallet already rotated, open proposals, unconfirmed receipts, the same policy, a
    successor name taken by another wallet."""
    rotation = lineage.open_rotation(session, row.id)
    if rotation is not None:
        after = session.get(WalletRow, rotation.to_wallet_id)
        how = "rotated" if rotation.state == lineage.COMPLETE else "being rotated"
        raise InputError(f"wallet {row.name} is already {how} to {after.name if after else '?'} (rotation "
                         f"{rotation.id})", field="name")
    busy = list(session.scalars(select(SpendProposalRow.id).where(SpendProposalRow.wallet_id == row.id,
                                                                  SpendProposalRow.state.in_(OPEN_SPEND))))
    if busy:
        raise InputError(f"wallet {row.name} has open proposals ({', '.join(busy)}): broadcast or cancel them first, "
                         "so that the sweep can take every coin", field="name")
    pending = session.scalars(select(LedgerEntryRow.id).where(LedgerEntryRow.wallet_id == row.id,
                                                              LedgerEntryRow.status == "pending")).first()
    if pending is not None:
        raise InputError(f"wallet {row.name} has unconfirmed receipts: wait for a block and sync, so that the sweep "
                         "takes every coin", field="name")
    if successor_text == row.descriptor:
        raise InputError("the successor's descriptor is the wallet's own: a rotation changes a key, M, N or a path",
                         field="descriptor")
    existing = session.scalars(select(WalletRow).where(WalletRow.name == to)).first()
    if existing is None:
        return
    holds = session.scalars(select(LedgerEntryRow.id).where(LedgerEntryRow.wallet_id == existing.id)).first()
    if existing.id == row.id or existing.descriptor != successor_text or holds is not None \
            or lineage.open_rotation(session, existing.id) is not None:
        raise InputError(f"a wallet named {to!r} already exists (with another descriptor, coins or its own "
                         "rotation): name a new successor", field="to")
