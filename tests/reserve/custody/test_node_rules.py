"""The rehearsal chain judges a broadcast as a node would: every script type a reserve meets, signatures, amounts,
lock times, sequence locks, standardness, and no second spend across the chain and its mempool. A fuzz mutates
valid transactions of every type byte by byte: none is accepted (a node refuses every one of them: a changed byte
breaks a signature, the encoding, or a policy rule)."""

from __future__ import annotations

from typing import Any

import pytest
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionOutput

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.networks import embit_network
from biplomacy.core.permissions import Actor
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.model import consensus as rc
from biplomacy.reserve.rehearsal.model import node_rules as rules
from biplomacy.store.db import Store
from tests.reserve.custody import node_spends as ns

ADMIN = Actor("admin", "admin")
TIP = rules.Tip(10, lambda height: 1_700_000_000 + 600 * height)


def judge(tx: Transaction | str, prevs: dict[tuple[str, int], rc.Prevout]) -> rc.CheckedTx:
    hex_text = tx if isinstance(tx, str) else tx.serialize().hex()
    return rc.check_broadcast(hex_text, lambda txid, vout: prevs.get((txid, vout)), TIP)


@pytest.mark.parametrize("make", ns.ALL, ids=lambda f: f.__name__)
def test_a_valid_spend_of_every_script_type_is_accepted_and_a_corrupted_signature_refused(make: Any) -> None:
    spend = make()
    tx = spend.spend(1)
    assert judge(tx, spend.prevout(1)).fee == ns.FEE
    items = list(tx.vin[0].witness.items) or None
    if items:  # the signature is the first witness item of every type here but the multisig's dummy
        k = 1 if items[0] == b"" else 0
        items[k] = items[k][:8] + bytes([items[k][8] ^ 0x01]) + items[k][9:]
        tx.vin[0].witness = Witness(items)
    else:
        script = tx.vin[0].script_sig.data
        tx.vin[0].script_sig = Script(script[:9] + bytes([script[9] ^ 0x01]) + script[10:])
    with pytest.raises(InputError, match="input 0"):
        judge(tx, spend.prevout(1))


@pytest.mark.parametrize("make", ns.ALL, ids=lambda f: f.__name__)
def test_no_byte_by_byte_mutation_of_a_valid_spend_is_accepted(make: Any) -> None:
    spend = make()
    raw = spend.spend(2).serialize()
    prevs = spend.prevout(2)
    judge(raw.hex(), prevs)  # the original passes: the fuzz below is not vacuous
    accepted = []
    for i in range(len(raw)):
        for mutated in (raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:], raw[:i] + bytes([raw[i] ^ 0xFF]) + raw[i + 1:],
                        raw[:i] + raw[i + 1:], raw[:i] + bytes([raw[i]]) + raw[i:]):
            try:
                judge(mutated.hex(), prevs)
            except InputError:
                continue
            accepted.append((i, mutated.hex()))
    assert accepted == []


def test_amounts_lock_times_and_policy_are_judged_as_a_node_does() -> None:
    spend = ns.p2wpkh()
    prevs = spend.prevout(3, height=5)
    cases = {
        "locked until block 12": spend.spend(3, locktime=12),
        "locked until time": spend.spend(3, locktime=1_700_000_000 + 600 * 10),
        "locks it for 7 blocks": spend.spend(3, sequence=7),
        "locks it for 5120 s": spend.spend(3, sequence=(1 << 22) | 10),
        "transaction version 3": spend.spend(3, version=3),
    }
    for words, tx in cases.items():
        with pytest.raises(InputError, match=words):
            judge(tx, prevs)
    assert judge(spend.spend(3, locktime=10), prevs).fee == ns.FEE  # the next block is 11: final
    assert judge(spend.spend(3, sequence=6), prevs).fee == ns.FEE  # coin at 5, 6 blocks by block 11

    def with_outputs(*outs: TransactionOutput) -> Transaction:
        return spend.spend(3, outputs=list(outs))

    refused = {
        "dust": with_outputs(TransactionOutput(200, ns.PAY_TO), TransactionOutput(ns.VALUE - 3_000, ns.PAY_TO)),
        "exceed inputs": with_outputs(TransactionOutput(ns.VALUE + 1, ns.PAY_TO)),
        "minimum relay fee": with_outputs(TransactionOutput(ns.VALUE - 50, ns.PAY_TO)),
        "non-standard output": with_outputs(TransactionOutput(ns.VALUE - 2_000, Script(b"\x51"))),
        "no outputs": with_outputs(),
    }
    for words, tx in refused.items():
        with pytest.raises(InputError, match=words):
            judge(tx, prevs)


def test_what_the_chain_cannot_judge_is_refused_by_name() -> None:
    spend = ns.p2wpkh()
    tx = spend.spend(4)
    sig, pub = tx.vin[0].witness.items
    tx.vin[0].witness = Witness([sig[:-1] + b"\x83", pub])  # SINGLE|ANYONECANPAY
    with pytest.raises(InputError, match="hash type 0x83 is not judged"):
        judge(tx, spend.prevout(4))
    bare = rc.Prevout(b"\x51\x21" + bytes(33) + b"\x51\xae", ns.VALUE, None, 1)  # bare 1-of-1 multisig
    with pytest.raises(InputError, match="does not judge"):
        judge(spend.spend(4), {(spend.funding(4).txid().hex(), 0): bare})


def test_the_chain_refuses_a_second_spend_across_its_mempool_and_names_it(store: Store) -> None:
    spend = ns.p2wpkh()
    address = rc.address_of(spend.script, embit_network("regtest"))
    funded = chain.fund(store, ADMIN, "regtest", address, "0.001")
    chain.mine(store, ADMIN, 1)
    funding = rc.parse_tx(chain.tx_hex(store, funded.txid))
    first = Transaction(version=2, vin=[type(funding.vin[0])(funding.txid(), 0, sequence=0xFFFFFFFD)],
                        vout=[TransactionOutput(ns.VALUE - ns.FEE, ns.PAY_TO)])
    spend.sign(first)
    txid = chain.broadcast(store, "regtest", first.serialize().hex())
    assert chain.broadcast(store, "regtest", first.serialize().hex()) == txid  # the same one again: known
    second = Transaction(version=2, vin=[type(funding.vin[0])(funding.txid(), 0, sequence=0xFFFFFFFD)],
                         vout=[TransactionOutput(ns.VALUE - 2 * ns.FEE, ns.PAY_TO)])
    spend.sign(second)
    with pytest.raises(InputError, match=f"already spent by a mempool transaction {txid}"):
        chain.broadcast(store, "regtest", second.serialize().hex())
    chain.mine(store, ADMIN, 1)
    with pytest.raises(InputError, match="already spent by a confirmed transaction"):
        chain.broadcast(store, "regtest", second.serialize().hex())
    corrupted = spend.spend(9)
    with pytest.raises(InputError, match="does not exist"):
        chain.broadcast(store, "regtest", corrupted.serialize().hex())


def test_a_spend_dropped_by_a_reorg_can_be_broadcast_again_and_confirms(store: Store) -> None:
    """As after a real reorg, a wallet sends the same signed transaction again: the chain takes it back, outputs
    and all, and it confirms again, instead of failing on the outputs it still remembers."""
    spend = ns.p2wpkh()
    funded = chain.fund(store, ADMIN, "regtest", rc.address_of(spend.script, embit_network("regtest")), "0.001")
    chain.mine(store, ADMIN, 1)
    funding = rc.parse_tx(chain.tx_hex(store, funded.txid))
    tx = Transaction(version=2, vin=[type(funding.vin[0])(funding.txid(), 0, sequence=0xFFFFFFFD)],
                     vout=[TransactionOutput(ns.VALUE - ns.FEE, ns.PAY_TO)])
    spend.sign(tx)
    txid = chain.broadcast(store, "regtest", tx.serialize().hex())
    chain.mine(store, ADMIN, 1)
    assert chain.reorg(store, ADMIN, 1).vanished == (txid,)
    with pytest.raises(NotFound):
        chain.tx_height(store, txid)

    assert chain.broadcast(store, "regtest", tx.serialize().hex()) == txid
    chain.mine(store, ADMIN, 1)
    assert chain.tx_height(store, txid) == chain.tip(store).height
    unspent = chain.utxo_set(store, chain.tip(store).height)["utxos"]
    assert [(u["txid"], u["sats"]) for u in unspent if u["script_pubkey"] == ns.PAY_TO.data.hex()] == \
        [(txid, ns.VALUE - ns.FEE)]
