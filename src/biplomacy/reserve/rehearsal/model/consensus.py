"""The rehearsal chain's rules: faucet payments, block hashes, and the checks a broadcast transaction must pass.

Pure functions over plain values; rehearsal/chain.py keeps the chain in the store. A rehearsal transaction is
a real Bitcoin transaction (embit serialises it), so what signers sign here is exactly what they would sign on
mainnet; only proof of work and the faucet's inputs are simulated. A broadcast is judged as a node's mempool
judges it, every script type a reserve meets (model/node_rules.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from embit import compact
from embit.script import Script, address_to_scriptpubkey
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from biplomacy.core.errors import InputError
from biplomacy.reserve.bip322.inputs import pushes
from biplomacy.reserve.rehearsal.model import node_rules as rules

FAUCET_TAG = b"biplomacy-rehearsal-faucet"
MAX_REORG_DEPTH = 100


@dataclass(frozen=True, slots=True)
class Prevout:
    """An output a transaction spends, as the chain knows it."""

    script: bytes
    value: int
    spent_by: str | None
    height: int | None = None  # of the block holding it; None while its transaction is in the mempool
    spent_by_pending: bool = False  # whether `spent_by` is still in the mempool


@dataclass(frozen=True, slots=True)
class CheckedTx:
    """A parsed transaction that passed the rehearsal chain's checks."""

    txid: str
    hex: str
    fee: int
    vsize: int
    spends: list[tuple[str, int]]
    outputs: list[tuple[int, bytes, int]]  # vout, script, value


def script_for(address: str) -> bytes:
    """The scriptPubKey of `address`, or InputError when it is not an address."""
    try:
        return address_to_scriptpubkey(address.strip()).data
    except Exception:  # noqa: BLE001 - embit raises several kinds for a bad address
        raise InputError(f"address {address!r} is not a valid Bitcoin address", field="address") from None


def address_of(script: bytes, network: Mapping[str, object]) -> str:
    try:
        return str(Script(script).address(network))
    except Exception:  # noqa: BLE001 - a non-standard script has no address
        return ""


def faucet_tx(script: bytes, sats: int, nonce: int) -> Transaction:
    """A payment of `sats` to `script` from the faucet (its input spends a made-up outpoint)."""
    if sats <= 0:
        raise InputError("amount must be positive", field="amount")
    prev = hashlib.sha256(FAUCET_TAG + nonce.to_bytes(8, "big")).digest()
    return Transaction(vin=[TransactionInput(prev, 0)], vout=[TransactionOutput(sats, Script(script))])


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def double_sha256(data: bytes) -> bytes:
    return _sha256d(data)


def block_hash_of(header: bytes) -> str:
    """A header's block hash, display hex."""
    return _sha256d(header)[::-1].hex()


def merkle_root(txids: list[str]) -> bytes:
    """The Bitcoin merkle root (internal byte order) of `txids` (display hex); zeros for an empty block."""
    level = [bytes.fromhex(t)[::-1] for t in txids]
    if not level:
        return b"\x00" * 32
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [_sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


REGTEST_BITS = 0x207FFFFF
# Bitcoin's regtest genesis block header, so wallets (BDK) that start from the network's genesis connect.
GENESIS_HEADER = bytes.fromhex(
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc8"
    "1bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000")
GENESIS_TIME = 1296688602


def block_header(prev_hash: str, txids: list[str], time: int) -> bytes:
    """An 80-byte Bitcoin block header (no proof of work: nonce 0 at regtest difficulty)."""
    return (0x20000000.to_bytes(4, "little") + bytes.fromhex(prev_hash)[::-1] + merkle_root(txids)
            + time.to_bytes(4, "little") + REGTEST_BITS.to_bytes(4, "little") + (0).to_bytes(4, "little"))


def genesis_hash() -> str:
    return _sha256d(GENESIS_HEADER)[::-1].hex()


def block_hash(prev_hash: str, txids: list[str], time: int) -> str:
    """The block's hash, as a real header's: double SHA-256, shown byte-reversed."""
    return _sha256d(block_header(prev_hash, txids, time))[::-1].hex()


def weight_of(tx: Transaction) -> int:
    """BIP-141 weight: the size without witnesses times three, plus the full size."""
    full = len(tx.serialize())
    if not tx.is_segwit:
        return full * 4
    stripped = Transaction(tx.version, [TransactionInput(i.txid, i.vout, i.script_sig, i.sequence) for i in tx.vin],
                           tx.vout, tx.locktime)
    return len(stripped.serialize()) * 3 + full


def vsize_of(tx: Transaction) -> int:
    return (weight_of(tx) + 3) // 4


def push_items(script_sig: bytes) -> list[bytes] | None:
    """The data a push-only scriptSig pushes, None if it holds another opcode."""
    return pushes(script_sig)


def partial_merkle_tree(txids: list[str], index: int) -> bytes:
    """bitcoind's CPartialMerkleTree proving the transaction at `index` (merkleblock.cpp): the transaction count,
    the hashes and the flag bits of a depth-first walk that descends only towards the matched leaf."""
    leaves = [bytes.fromhex(t)[::-1] for t in txids]
    n = len(leaves)

    def width(height: int) -> int:
        return (n + (1 << height) - 1) >> height

    def node(height: int, pos: int) -> bytes:
        if height == 0:
            return leaves[pos]
        left = node(height - 1, pos * 2)
        right = node(height - 1, pos * 2 + 1) if pos * 2 + 1 < width(height - 1) else left
        return _sha256d(left + right)

    bits: list[bool] = []
    hashes: list[bytes] = []

    def walk(height: int, pos: int) -> None:
        parent_of_match = (pos << height) <= index < ((pos + 1) << height)
        bits.append(parent_of_match)
        if height == 0 or not parent_of_match:
            hashes.append(node(height, pos))
            return
        walk(height - 1, pos * 2)
        if pos * 2 + 1 < width(height - 1):
            walk(height - 1, pos * 2 + 1)

    top = 0
    while width(top) > 1:
        top += 1
    walk(top, 0)
    flags = bytes(sum(1 << j for j in range(8) if i + j < len(bits) and bits[i + j]) for i in range(0, len(bits), 8))
    return (n.to_bytes(4, "little") + compact.to_bytes(len(hashes)) + b"".join(hashes)
            + compact.to_bytes(len(flags)) + flags)


def parse_tx(hex_text: str) -> Transaction:
    try:
        return Transaction.from_string(hex_text.strip())
    except Exception:  # noqa: BLE001 - any parse failure is a malformed transaction
        raise InputError("transaction is not valid hex of a Bitcoin transaction", field="tx") from None


def check_broadcast(hex_text: str, prevout: Callable[[str, int], Prevout | None],
                    tip: rules.Tip | None = None) -> CheckedTx:
    """Judge a transaction as a node's mempool would (model/node_rules.py): its shape and standardness, that its
    inputs exist and are unspent by the chain and its mempool, lock times against `tip`, every input's script and
    signatures, and the fee. InputError names the first rule broken."""
    tx = parse_tx(hex_text)
    raw = bytes.fromhex(hex_text.strip())
    tip = tip or rules.Tip(0, lambda height: GENESIS_TIME)
    try:
        rules.check_shape(tx, raw)
        txid = tx.txid().hex()
        spends, coins = [], []
        for i, txin in enumerate(tx.vin):
            outpoint = (txin.txid.hex(), txin.vout)
            prev = prevout(*outpoint)
            if prev is None:
                raise rules.Refused(f"input {i} spends {outpoint[0]}:{outpoint[1]}, which does not exist "
                                    "(bad-txns-inputs-missingorspent)")
            if prev.spent_by is not None and prev.spent_by != txid:
                where = "a mempool transaction" if prev.spent_by_pending else "a confirmed transaction"
                raise rules.Refused(f"input {i} spends {outpoint[0]}:{outpoint[1]}, already spent by {where} "
                                    f"{prev.spent_by} (txn-mempool-conflict; the rehearsal chain does not take "
                                    "replacements)")
            spends.append(outpoint)
            coins.append(rules.Coin(prev.script, prev.value, prev.height))
        rules.check_final(tx, tip)
        rules.check_sequence_locks(tx, coins, tip)
        rules.check_inputs(tx, coins)
        fee = rules.check_fee(tx, coins, vsize_of(tx))
    except rules.Refused as exc:
        raise InputError(str(exc), field="tx") from None
    outputs = [(v, o.script_pubkey.data, o.value) for v, o in enumerate(tx.vout)]
    return CheckedTx(txid, raw.hex(), fee, vsize_of(tx), spends, outputs)
