"""The reserve's lifecycle: which wallet succeeded which (signer rotations), and how a rotation's sweep (or a
refresh) carries the holdings' sources to the coin it makes, so that holdings by source survive both.

A rotation (reserve/rotation.py) is `sweeping` until its sweep proposal is broadcast, then `complete`; a cancelled
sweep cancels it. These steps run inside the spend's own transaction (spend.broadcast, spend.cancel), so that the
ledger, the proposal and the lifecycle never disagree; the completion's audit entry names who approved the sweep
(the signers' fingerprints, who uploaded their files) and under which policy profile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.house import audit
from biplomacy.reserve.model import ledger
from biplomacy.reserve.model.timelocks import carry_sources
from biplomacy.reserve.results import WalletLink
from biplomacy.reserve.tables import LedgerEntryRow, RotationRow, SpendProposalRow, SpendSignatureRow, WalletRow

SWEEPING, COMPLETE, CANCELLED = "sweeping", "complete", "cancelled"


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """One wallet's place in the reserve's lifecycle."""

    state: str  # active | rotating | retired
    successor: WalletLink | None
    predecessors: tuple[WalletLink, ...]  # most recent first


def _link(rotation: RotationRow, wallet: str) -> WalletLink:
    return WalletLink(wallet, rotation.created_at, rotation.completed_at, rotation.txid, rotation.proposal_id)


def lifecycles(session: Session) -> dict[int, Lifecycle]:
    """Every wallet's state, successor and predecessors (a chain of rotations, followed back to the first)."""
    names = {w.id: w.name for w in session.scalars(select(WalletRow))}
    rotations = [r for r in session.scalars(select(RotationRow).order_by(RotationRow.created_at))
                 if r.state != CANCELLED]
    into = {r.to_wallet_id: r for r in rotations}
    out_of = {r.from_wallet_id: r for r in rotations}
    result = {}
    for wallet_id in names:
        before, seen, here = [], {wallet_id}, into.get(wallet_id)
        while here is not None and here.from_wallet_id not in seen:
            before.append(_link(here, names[here.from_wallet_id]))
            seen.add(here.from_wallet_id)
            here = into.get(here.from_wallet_id)
        after = out_of.get(wallet_id)
        state = "active" if after is None else ("retired" if after.state == COMPLETE else "rotating")
        result[wallet_id] = Lifecycle(state, None if after is None else _link(after, names[after.to_wallet_id]),
                                      tuple(before))
    return result


def open_rotation(session: Session, wallet_id: int) -> RotationRow | None:
    """The wallet's rotation that is sweeping or complete (a wallet is rotated away from once)."""
    return session.scalars(select(RotationRow).where(RotationRow.from_wallet_id == wallet_id,
                                                     RotationRow.state != CANCELLED)).first()


def _receiver(session: Session, proposal: SpendProposalRow) -> int:
    """The wallet a refresh or sweep pays: the proposal's own (refresh), or the rotation's successor (sweep)."""
    if proposal.kind == "sweep":
        rotation = session.scalars(select(RotationRow).where(RotationRow.proposal_id == proposal.id)).first()
        if rotation is not None:
            return rotation.to_wallet_id
    return proposal.wallet_id


def carried_receipts(session: Session, wallet_id: int) -> dict[str, str]:
    """txid -> ledger source ("rotation" or "refresh") of the broadcast sweeps and refreshes that pay this wallet:
    their receipts carry the moved coins' sources."""
    rows = session.scalars(select(SpendProposalRow).where(SpendProposalRow.carried.is_not(None),
                                                          SpendProposalRow.txid.is_not(None)))
    return {r.txid: (ledger.ROTATION if r.kind == "sweep" else ledger.REFRESH)
            for r in rows if r.txid and _receiver(session, r) == wallet_id}


def carried_sources(session: Session) -> dict[tuple[int, str], dict[str, int]]:
    """(receiving wallet id, txid) -> the sats by source that the refresh's or sweep's one output carries."""
    rows = session.scalars(select(SpendProposalRow).where(SpendProposalRow.carried.is_not(None),
                                                          SpendProposalRow.txid.is_not(None)))
    return {(_receiver(session, r), str(r.txid)): {k: int(v) for k, v in json.loads(str(r.carried)).items()}
            for r in rows}


def sources_of(entry: LedgerEntryRow, carried: dict[tuple[int, str], dict[str, int]]) -> dict[str, int]:
    """A ledger entry's sats by source: a carried receipt's breakdown, else its one source."""
    return carried.get((entry.wallet_id, entry.txid)) or {entry.source: entry.sats}


def on_broadcast(session: Session, actor: str, proposal: SpendProposalRow, txid: str,
                 swept: list[LedgerEntryRow]) -> None:
    """When a refresh or a rotation's sweep is broadcast: its output keeps the moved coins' sources; a sweep also
    completes its rotation, and the audit log records who approved it, under which profile."""
    if proposal.kind not in ("refresh", "sweep"):
        return
    known = carried_sources(session)
    by_source: dict[str, int] = {}
    for entry in swept:
        for source, sats in sources_of(entry, known).items():
            by_source[source] = by_source.get(source, 0) + sats
    carried = carry_sources(by_source, proposal.amount_sats) if by_source else {}
    proposal.carried = json.dumps(carried, sort_keys=True)
    rotation = session.scalars(select(RotationRow).where(RotationRow.proposal_id == proposal.id,
                                                         RotationRow.state == SWEEPING)).first()
    if rotation is None:
        return
    signatures = list(session.scalars(select(SpendSignatureRow).where(SpendSignatureRow.proposal_id == proposal.id)
                                      .order_by(SpendSignatureRow.id)))
    rotation.state, rotation.txid, rotation.completed_at = COMPLETE, txid, datetime.now(UTC)
    names = {w.id: w.name for w in session.scalars(select(WalletRow).where(
        WalletRow.id.in_((rotation.from_wallet_id, rotation.to_wallet_id))))}
    audit.record(session, actor=actor, action="reserve.wallet.rotation.complete", subject=rotation.id,
                 payload={"from": names[rotation.from_wallet_id], "to": names[rotation.to_wallet_id],
                          "profile": rotation.profile, "path": rotation.path, "proposal": proposal.id, "txid": txid,
                          "proposed_by": rotation.created_by,
                          "approved_by": [s.fingerprint for s in signatures],
                          "uploaded_by": sorted({s.submitted_by for s in signatures}),
                          "swept_sats": sum(by_source.values()), "fee_sats": proposal.fee_sats,
                          "carried_sources": carried})


def on_cancel(session: Session, actor: str, proposal: SpendProposalRow) -> None:
    """A cancelled sweep cancels its rotation: the old wallet is active again (the successor stays)."""
    rotation = session.scalars(select(RotationRow).where(RotationRow.proposal_id == proposal.id,
                                                         RotationRow.state == SWEEPING)).first()
    if rotation is not None:
        rotation.state = CANCELLED
        audit.record(session, actor=actor, action="reserve.wallet.rotation.cancel", subject=rotation.id,
                     payload={"proposal": proposal.id})
