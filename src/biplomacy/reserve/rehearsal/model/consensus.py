"""The rehearsal chain's rules: faucet payments, block hashes, and the checks a broadcast transaction must pass.

Pure functions over plain values; services/rehearsal_chain.py keeps the chain in the store. A rehearsal
transaction is a real Bitcoin transaction (embit serialises it), so what signers sign here is exactly what
they would sign on mainnet; only proof of work and the faucet's inputs are simulated. P2WSH multisig and P2TR
inputs (taproot script path through the tapscript interpreter of bip322_script, or key path) are verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from embit import ec
from embit.script import Script, address_to_scriptpubkey
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from biplomacy.core.errors import InputError
from biplomacy.reserve.bip322.inputs import verify_input
from biplomacy.reserve.model import taproot_spend as tap

FAUCET_TAG = b"biplomacy-rehearsal-faucet"
MAX_REORG_DEPTH = 100


@dataclass(frozen=True, slots=True)
class Prevout:
    """An output a transaction spends, as the chain knows it."""

    script: bytes
    value: int
    spent_by: str | None


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


def vsize_of(tx: Transaction) -> int:
    full = len(tx.serialize())
    if not tx.is_segwit:
        return full
    stripped = Transaction(tx.version, [TransactionInput(i.txid, i.vout, i.script_sig, i.sequence) for i in tx.vin],
                           tx.vout, tx.locktime)
    base = len(stripped.serialize())
    return (base * 3 + full + 3) // 4


def parse_tx(hex_text: str) -> Transaction:
    try:
        return Transaction.from_string(hex_text.strip())
    except Exception:  # noqa: BLE001 - any parse failure is a malformed transaction
        raise InputError("transaction is not valid hex of a Bitcoin transaction", field="tx") from None


def _check_p2wsh_multisig(tx: Transaction, i: int, prev: Prevout) -> str | None:
    """Why input `i` fails to satisfy its P2WSH multisig prevout, or None when it does."""
    items = tx.vin[i].witness.items
    if len(items) < 3:
        return f"input {i}: witness too short for a multisig spend"
    wscript = items[-1]
    if b"\x00\x20" + hashlib.sha256(wscript).digest() != prev.script:
        return f"input {i}: witness script does not match the output it spends"
    data = wscript
    m, n = data[0] - 0x50, data[-2] - 0x50
    keys = [data[1 + 34 * k + 1: 1 + 34 * k + 34] for k in range(n)]
    sigs = items[1:-1]
    if len(sigs) != m:
        return f"input {i}: {len(sigs)} signatures for a {m}-of-{n} script"
    msg = tx.sighash_segwit(i, Script(wscript), prev.value)
    k = 0
    for sig in sigs:
        ok = False
        while k < len(keys) and not ok:
            try:
                ok = ec.PublicKey.parse(keys[k]).verify(ec.Signature.parse(sig[:-1]), msg)
            except Exception:  # noqa: BLE001 - a malformed DER signature simply does not verify
                ok = False
            k += 1
        if not ok:
            return f"input {i}: a signature does not verify against the script's keys"
    return None


def _check_p2tr(tx: Transaction, i: int, spks: list[Script], values: list[int]) -> str | None:
    """Why input `i` fails to spend its P2TR prevout, or None when it succeeds.

    The control block must commit the leaf to the prevout's output key (BIP-341) and the leaf runs in the
    tapscript interpreter (bip322_verify, BIP-342: Schnorr signatures over the script-path sighash, CHECKSIGADD,
    NUMEQUAL); a key-path spend is one Schnorr signature by the output key. Whatever that interpreter cannot
    judge is refused, never accepted unchecked."""
    items = tx.vin[i].witness.items
    parsed = tap.parse_multi_a(items[-2]) if len(items) >= 3 else None
    if parsed is not None and len(items) - 2 == len(parsed[1]):
        m, n, given = parsed[0], len(parsed[1]), sum(1 for x in items[:-2] if x)
        if given != m:
            return f"input {i}: {given} signatures for a {m}-of-{n} taproot multisig (multi_a takes exactly {m})"
    valid, reason, conclusive = verify_input(tx, i, spks, values)
    if valid:
        return None
    if not conclusive:
        return f"input {i}: the rehearsal chain cannot check this taproot spend ({reason}), so it refuses it"
    return f"input {i}: {reason} (taproot spend)"


def check_broadcast(hex_text: str, prevout: Callable[[str, int], Prevout | None]) -> CheckedTx:
    """Check a transaction for broadcast: inputs exist and are unspent, amounts balance, P2WSH multisig and P2TR
    witnesses verify."""
    tx = parse_tx(hex_text)
    spends, prevs = [], []
    for i, txin in enumerate(tx.vin):
        outpoint = (txin.txid.hex(), txin.vout)
        prev = prevout(*outpoint)
        if prev is None:
            raise InputError(f"input {i} spends {outpoint[0]}:{outpoint[1]}, which does not exist", field="tx")
        if prev.spent_by is not None:
            raise InputError(f"input {i} spends {outpoint[0]}:{outpoint[1]}, already spent by {prev.spent_by}",
                             field="tx")
        spends.append(outpoint)
        prevs.append(prev)
    spks, values = [Script(p.script) for p in prevs], [p.value for p in prevs]
    for i, prev in enumerate(prevs):
        why = None
        if prev.script[:2] == b"\x00\x20":
            why = _check_p2wsh_multisig(tx, i, prev)
        elif prev.script[:2] == b"\x51\x20" and len(prev.script) == 34:
            why = _check_p2tr(tx, i, spks, values)
        if why:
            raise InputError(why, field="tx")
    total_in = sum(values)
    total_out = sum(o.value for o in tx.vout)
    if total_out > total_in:
        raise InputError(f"outputs ({total_out} sat) exceed inputs ({total_in} sat)", field="tx")
    outputs = [(v, o.script_pubkey.data, o.value) for v, o in enumerate(tx.vout)]
    return CheckedTx(tx.txid().hex(), tx.serialize().hex(), total_in - total_out, vsize_of(tx), spends, outputs)
