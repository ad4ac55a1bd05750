"""The rehearsal chain's Esplora API, read through the same adapter that syncs against a real Esplora."""

from __future__ import annotations

import pytest

from biplomacy.core.config import Settings
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor
from biplomacy.reserve.model.descriptors import parse_descriptor
from biplomacy.reserve.rehearsal import chain
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import esplora_over_asgi, make_signer, multisig

ADMIN = Actor("admin", "admin")
WALLET = parse_descriptor(multisig(2, [make_signer(x) for x in "abc"]), "regtest")


def test_esplora_answers_heights_blocks_transactions_and_utxos(store: Store, settings: Settings) -> None:
    address = WALLET.address(0)
    txid = chain.fund(store, ADMIN, "regtest", address, "0.3").txid
    api = esplora_over_asgi(store, settings)
    assert api.tip_height() == 0
    pending = api.address_history(address)
    assert [(t.txid, t.height) for t in pending] == [(txid, None)]
    chain.mine(store, ADMIN, 2)
    assert api.tip_height() == 2
    [tx] = api.address_history(address)
    assert (tx.height, tx.outputs[0].address, tx.outputs[0].value, tx.source_hint) == (1, address, 30_000_000,
                                                                                        "seizure")
    client = api.client
    assert client.get(f"/block-height/{1}").text == client.get(f"/tx/{txid}/status").json()["block_hash"]
    assert client.get(f"/address/{address}/utxo").json()[0]["value"] == 30_000_000
    script = bytes.fromhex(client.get(f"/tx/{txid}").json()["vout"][0]["scriptpubkey"])
    import hashlib

    assert client.get(f"/scripthash/{hashlib.sha256(script).hexdigest()}/txs").json()[0]["txid"] == txid
    assert api.tx_hex(txid) is not None and api.tx_hex("00" * 32) is None
    assert client.get("/tx/nothex").status_code == 400
    assert client.get("/fee-estimates").json()["1"] == 2.0


def test_broadcast_refuses_garbage_and_double_spends(store: Store, settings: Settings) -> None:
    api = esplora_over_asgi(store, settings)
    chain.fund(store, ADMIN, "regtest", WALLET.address(0), "0.3")
    with pytest.raises(InputError, match="refused"):
        api.broadcast("deadbeef")
    # A transaction spending an outpoint that was never created.
    from embit.script import Script
    from embit.transaction import Transaction, TransactionInput, TransactionOutput

    fake = Transaction(vin=[TransactionInput(b"\x11" * 32, 0)],
                       vout=[TransactionOutput(1000, Script(WALLET.script_pubkey(1)))])
    with pytest.raises(InputError, match="does not exist"):
        api.broadcast(fake.serialize().hex())


def test_long_histories_are_paged_like_esplora_and_the_adapter_follows_the_pages(store: Store,
                                                                                 settings: Settings) -> None:
    address = WALLET.address(0)
    txids = set()
    for _ in range(3):
        for _ in range(11):
            txids.add(chain.fund(store, ADMIN, "regtest", address, "0.01").txid)
        chain.mine(store, ADMIN, 1)
    extra = chain.fund(store, ADMIN, "regtest", address, "0.01").txid
    api = esplora_over_asgi(store, settings)
    first = api.client.get(f"/address/{address}/txs").json()
    assert len(first) == 1 + 25 and first[0]["txid"] == extra
    history = api.address_history(address)
    assert {t.txid for t in history} == txids | {extra}


def test_unspent_lists_confirmed_coins_with_their_derivation(store: Store, settings: Settings) -> None:
    from biplomacy.reserve import wallets as reserve_wallets

    reserve_wallets.add_wallet(store, ADMIN, "regtest", "w", WALLET.text)
    first = reserve_wallets.next_address(store, ADMIN, "w").address
    chain.fund(store, ADMIN, "regtest", first, "0.3")
    chain.mine(store, ADMIN, 1)
    chain.fund(store, ADMIN, "regtest", WALLET.address(1), "0.1")  # unconfirmed: not yet provable
    reserve_wallets.sync(store, ADMIN, esplora_over_asgi(store, settings), "w")
    [coin] = reserve_wallets.unspent(store, "w")
    assert (coin.address, coin.sats, coin.change, coin.index, coin.height) == (first, 30_000_000, False, 0, 1)


def test_the_in_process_source_sees_exactly_what_the_esplora_api_serves(store: Store, settings: Settings) -> None:
    """The CLI reads the rehearsal chain in-process; a wallet pointed at `biplomacy serve` reads its Esplora API.
    Both must see the same chain: every page of a long history, the mempool, heights, raw transactions, refusals."""
    from biplomacy.reserve.rehearsal.source import RehearsalSource

    busy, quiet = WALLET.address(0), WALLET.address(1)
    for _ in range(2):
        for _ in range(14):
            chain.fund(store, ADMIN, "regtest", busy, "0.01")
        chain.mine(store, ADMIN, 1)
    chain.fund(store, ADMIN, "regtest", busy, "0.02", source="purchase")  # still in the mempool
    chain.fund(store, ADMIN, "regtest", quiet, "0.5")
    chain.mine(store, ADMIN, 1)
    local, remote = RehearsalSource(store, "regtest"), esplora_over_asgi(store, settings)
    assert local.tip_height() == remote.tip_height() == 3
    for address in (busy, quiet, WALLET.address(7)):
        mine_ = sorted(local.address_history(address), key=lambda t: t.txid)
        theirs = sorted(remote.address_history(address), key=lambda t: t.txid)
        assert mine_ == theirs
    assert len(local.address_history(busy)) == 29
    some = local.address_history(quiet)[0].txid
    assert local.tx_hex(some) == remote.tx_hex(some) is not None
    assert local.tx_hex("00" * 32) is remote.tx_hex("00" * 32) is None
    for api in (local, remote):
        with pytest.raises(InputError, match="^the chain refused the transaction: "):
            api.broadcast("deadbeef")
