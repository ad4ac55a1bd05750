"""The reserve's step of `biplomacy demo run`: a rehearsal 3-of-5 wallet funded on the rehearsal chain."""

from __future__ import annotations

import tomllib
from importlib import resources

from embit.psbt import PSBT

from biplomacy.core.config import Settings
from biplomacy.core.demo_outcome import DemoOutcome
from biplomacy.core.permissions import Actor
from biplomacy.reserve import statements as reserve_statements
from biplomacy.reserve import wallets as reserve_wallets
from biplomacy.reserve.rehearsal import chain as rehearsal_chain
from biplomacy.reserve.rehearsal.source import chain_for
from biplomacy.reserve.rehearsal_signer import demo_key
from biplomacy.store.db import Store

STATEMENT_MESSAGE = "REHEARSAL: the demo's 3-of-5 rehearsal wallet, not the reserve"


def demo_step(store: Store, settings: Settings, actor: Actor) -> DemoOutcome:
    """Rehearsal: the 3-of-5 demo wallet receives a seizure and an agency transfer on the rehearsal chain."""
    demo = tomllib.loads((resources.files("biplomacy") / "data" / "demo" / "reserve-rehearsal.toml")
                         .read_text(encoding="utf-8"))
    name = demo["name"]
    lines = []
    if name not in {w.name for w in reserve_wallets.list_wallets(store)}:
        reserve_wallets.add_wallet(store, actor, settings.network, name, demo["descriptor"], demo["policy"])
        for receipt in demo["receipt"]:
            address = reserve_wallets.next_address(store, actor, name).address
            funded = rehearsal_chain.fund(store, actor, settings.network, address, receipt["amount"], receipt["source"])
            lines.append(f"{receipt['source']}: {receipt['amount']} BTC to {address} (tx {funded.txid[:12]}...)")
        rehearsal_chain.mine(store, actor, 1)
    else:
        lines.append("wallet already rehearsed; syncing only")
    synced = reserve_wallets.sync(store, actor, chain_for(store, settings), name)
    if reserve_statements.latest(store) is None:
        lines.append(_signed_statement(store, actor, name, demo["signers"][:3]))
    lines.append("signers: " + ", ".join(demo["signers"]) + " (3 of 5); portal /reserve")
    return DemoOutcome(f"{name}: {synced.balance_btc:f} BTC on the rehearsal chain, policy {demo['policy']}",
                       tuple(lines))


def _signed_statement(store: Store, actor: Actor, name: str, institutions: list[str]) -> str:
    """A signed statement of the rehearsal wallet, so that the portal's /reserve shows one to download and check
    (journey 4) from a fresh `make run`: three of the five demo signers sign with their public-seed keys."""
    built = reserve_statements.build(store, actor, name, STATEMENT_MESSAGE)
    for institution in institutions:
        psbt = PSBT.from_base64(built.psbt)
        psbt.sign_with(demo_key(institution))
        receipt = reserve_statements.submit(store, actor, built.id, psbt.to_base64().encode())
        if not receipt.accepted:
            raise RuntimeError(f"demo signer {institution} refused: {receipt.reason}")
    final = reserve_statements.finalize(store, actor, built.id)
    return (f"signed statement {final.id}: {final.total_btc} BTC at height {final.height} (rehearsal), signed by "
            f"{', '.join(institutions)}; portal /reserve")
