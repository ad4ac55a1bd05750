"""Use case: a spend of reserve coins that no approved proposal broadcast is caught at the next sync.

The app's policy rules (the Pakistan draft's amount tiers among them) hold only inside the app: the chain
enforces the wallet's script, M of N signatures, and nothing else. Signers who combine M signatures outside
the app (BDK, Sparrow) can move coins while the proposal still says "collecting". So each sync looks at the
transactions that spend the wallet's coins: one whose txid is not that of a proposal that reached "ready"
(approved: M valid signers in the app) or "broadcast" is an unauthorised spend. It is recorded once in the
audit log (action reserve.spend.unauthorised, in the sync's transaction), returned with the sync result as an
alert, and listed on the public reserve page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from biplomacy.core.permissions import Actor
from biplomacy.core.ports import ChainTx
from biplomacy.house import audit
from biplomacy.reserve.model.states import SpendState
from biplomacy.reserve.tables import SpendProposalRow, WalletRow
from biplomacy.store.db import Store

ACTION = "reserve.spend.unauthorised"
APPROVED = (SpendState.READY, SpendState.BROADCAST)


def detect(session: Session, wallet: WalletRow, history: Iterable[ChainTx], coins: Mapping[tuple[str, int], int],
           actor: Actor) -> list[str]:
    """Txids spending `coins` (outpoint -> sats of this wallet) that no approved proposal accounts for; each new
    one is audited. Returns the new ones (already recorded ones are not raised again)."""
    approved = {txid for row in session.scalars(select(SpendProposalRow).where(SpendProposalRow.wallet_id == wallet.id))
                if row.state in APPROVED for txid in (row.txid, row.unsigned_txid) if txid}
    found: list[str] = []
    for tx in history:
        ours = [(t, v) for t, v in tx.spends if (t, v) in coins]  # spends may arrive as lists
        if not ours or tx.txid in approved:
            continue
        subject = f"{wallet.name}/{tx.txid}"
        if audit.with_action(session, ACTION, subject, limit=1):
            continue
        state = {row.id: row.state.value for row in session.scalars(
            select(SpendProposalRow).where(SpendProposalRow.wallet_id == wallet.id,
                                           SpendProposalRow.unsigned_txid == tx.txid))}
        audit.record(session, actor=actor.name, action=ACTION, subject=subject,
                     payload={"wallet": wallet.name, "txid": tx.txid, "height": tx.height,
                              "spent": [f"{t}:{v}" for t, v in ours], "sats": sum(coins[op] for op in ours),
                              "proposals": state})
        found.append(tx.txid)
    return found


def listed(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The unauthorised spends found so far, newest first (public: they belong on the reserve's public page)."""
    with store.read() as session:
        entries = audit.with_action(session, ACTION, limit=limit)
    out = []
    for e in entries:
        doc = json.loads(e.payload)
        out.append({"wallet": doc.get("wallet"), "txid": doc.get("txid"), "height": doc.get("height"),
                    "btc": format(doc.get("sats", 0) / 1e8, ".8f"), "found_at": e.at,
                    "proposal_states": ", ".join(f"{k}: {v}" for k, v in (doc.get("proposals") or {}).items())
                    or "no proposal"})
    return out
