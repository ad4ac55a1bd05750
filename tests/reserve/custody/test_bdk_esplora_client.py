"""BDK's own EsploraClient, pointed at the rehearsal chain over loopback, sees what biplomacy's sync sees."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import bdkpython as bdk
import pytest
import uvicorn

from biplomacy.core.config import Settings
from biplomacy.core.permissions import Actor
from biplomacy.reserve import wallets as reserve_wallets
from biplomacy.reserve.model.descriptors import parse_descriptor
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.web import rehearsal_app
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import make_signer, multisig

ADMIN = Actor("admin", "admin")


@pytest.fixture
def esplora_url(store: Store, settings: Settings) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(rehearsal_app(store, settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/api/v1/rehearsal/esplora"
    server.should_exit = True
    thread.join(5)


def test_bdk_full_scan_of_the_rehearsal_chain_agrees_with_our_sync(store: Store, settings: Settings,
                                                                   esplora_url: str) -> None:
    text = multisig(2, [make_signer(x) for x in ("x", "y", "z")])
    wallet = parse_descriptor(text, "regtest")
    reserve_wallets.add_wallet(store, ADMIN, "regtest", "w", text)
    for index, amount in ((0, "0.4"), (3, "0.05"), (9, "1.2")):
        chain.fund(store, ADMIN, "regtest", wallet.address(index), amount)
    chain.mine(store, ADMIN, 2)
    chain.fund(store, ADMIN, "regtest", wallet.address(1), "0.3")  # still in the mempool

    bdk_wallet = bdk.Wallet.create_from_two_path_descriptor(bdk.Descriptor(wallet.text, bdk.NetworkKind.TEST),
                                                            bdk.Network.REGTEST, bdk.Persister.new_in_memory())
    update = bdk.EsploraClient(esplora_url).full_scan(bdk_wallet.start_full_scan().build(), 20, 1)
    bdk_wallet.apply_update(update)
    balance = bdk_wallet.balance()

    from biplomacy.chain.esplora import http_chain

    ours = reserve_wallets.sync(store, ADMIN, http_chain(esplora_url), "w")
    assert balance.confirmed.to_sat() == ours.balance_sats == 165_000_000
    assert balance.total.to_sat() - balance.confirmed.to_sat() == 30_000_000
    assert ours.unconfirmed_btc == Decimal("0.3")
    assert bdk_wallet.latest_checkpoint().height == 2
