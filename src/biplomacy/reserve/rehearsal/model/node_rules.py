"""A node's judgement of a transaction offered to its mempool: consensus rules, then the standard-transaction
policy Bitcoin Core applies before it relays, for every script type a reserve meets.

Each rule names the Bitcoin Core check it stands for (consensus/tx_check.cpp CheckTransaction, consensus/
tx_verify.cpp, validation.cpp's MemPoolAccept, policy/policy.cpp IsStandardTx, as of Bitcoin Core 28, read
2026-11-24). Input scripts run through the BIP-322 verifier's script code (reserve/bip322/inputs.py and
script.py, on embit's sighash code): P2PKH, P2SH-P2WPKH, P2WPKH, P2WSH (multisig or any script it interprets),
P2TR key path and tapscript script path. What it cannot judge (another sighash type than ALL/DEFAULT, an annex,
an opcode it does not run, a script type it does not know, a replacement) is refused by name: the rehearsal
chain never accepts what a node might refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from embit.script import Script
from embit.transaction import Transaction

from biplomacy.reserve.bip322.inputs import parse_multisig, pushes, verify_input
from biplomacy.reserve.bip322.script import strict_der_low_s
from biplomacy.reserve.model import taproot_spend as tap

MAX_MONEY = 21_000_000 * 100_000_000
MAX_BLOCK_WEIGHT = 4_000_000  # consensus: a transaction's stripped size * 4 may not exceed it
MAX_STANDARD_TX_WEIGHT = 400_000  # policy/policy.h
MAX_STANDARD_SCRIPTSIG_SIZE = 1650
MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600
MAX_STANDARD_P2WSH_STACK_ITEMS = 100
MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80
MAX_OP_RETURN_RELAY = 83  # -datacarriersize default: the whole OP_RETURN script (Core 28)
MIN_RELAY_SAT_PER_KVB = 1000  # -minrelaytxfee default (policy/policy.h DEFAULT_MIN_RELAY_TX_FEE)
DUST_RELAY_SAT_PER_KVB = 3000  # -dustrelayfee default (DUST_RELAY_TX_FEE)
LOCKTIME_THRESHOLD = 500_000_000
SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_DISABLE, SEQUENCE_TYPE, SEQUENCE_MASK = 1 << 31, 1 << 22, 0xFFFF


class Refused(Exception):
    """Why a node would not take the transaction (the message names the input or output and the rule)."""


@dataclass(frozen=True, slots=True)
class Coin:
    """An output the transaction spends: its script, value and the height of the block that holds it (None while
    its transaction waits in the mempool)."""

    script: bytes
    value: int
    height: int | None


@dataclass(frozen=True, slots=True)
class Tip:
    """The chain the transaction would join: the tip's height, and median-time-past by height (BIP-113)."""

    height: int
    median_time_past: Callable[[int], int]


def dust_threshold(script: bytes) -> int:
    """Core's GetDustThreshold at the default dust relay fee: what spending the output would cost, in sats."""
    if script[:1] == b"\x6a":
        return 0
    witness = len(script) in range(4, 43) and (script[0] == 0 or 0x51 <= script[0] <= 0x60) and script[1] == len(
        script) - 2
    spend = 32 + 4 + 1 + (107 // 4) + 4 if witness else 32 + 4 + 1 + 107 + 4
    size = 8 + 1 + len(script) + spend
    return size * DUST_RELAY_SAT_PER_KVB // 1000


def _standard_output(script: bytes) -> bool:
    kind = Script(script).script_type()
    if kind in ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"):
        return True
    if script[:1] == b"\x6a":
        return len(script) <= MAX_OP_RETURN_RELAY
    # another witness version's program (2-40 bytes) is standard to create, and P2A anchors (Core 28) are too
    return len(script) in range(4, 43) and 0x51 <= script[0] <= 0x60 and script[1] == len(script) - 2


def check_shape(tx: Transaction, raw: bytes) -> None:
    """CheckTransaction and IsStandardTx: what a transaction must be before its inputs are looked at."""
    if tx.serialize() != raw:
        raise Refused("the transaction's encoding is not canonical (it does not re-serialise to the same bytes)")
    if not tx.vin:
        raise Refused("the transaction has no inputs (bad-txns-vin-empty)")
    if not tx.vout:
        raise Refused("the transaction has no outputs (bad-txns-vout-empty)")
    stripped = len(Transaction(tx.version, [type(i)(i.txid, i.vout, i.script_sig, i.sequence) for i in tx.vin],
                               tx.vout, tx.locktime).serialize())
    if stripped * 4 > MAX_BLOCK_WEIGHT:
        raise Refused("the transaction is larger than a block (bad-txns-oversize)")
    total = 0
    for k, out in enumerate(tx.vout):
        if not 0 <= out.value <= MAX_MONEY:
            raise Refused(f"output {k}: value {out.value} sat is outside 0 to 21 million BTC (bad-txns-vout-toolarge)")
        total += out.value
    if total > MAX_MONEY:
        raise Refused("the outputs add up to more than 21 million BTC (bad-txns-txouttotal-toolarge)")
    outpoints = [(i.txid, i.vout) for i in tx.vin]
    if len(set(outpoints)) != len(outpoints):
        raise Refused("the transaction spends the same output twice (bad-txns-inputs-duplicate)")
    if any(i.txid == b"\x00" * 32 and i.vout == 0xFFFFFFFF for i in tx.vin):
        raise Refused("a coinbase transaction cannot be broadcast (bad-txns-prevout-null)")
    if tx.version not in (1, 2):
        raise Refused(f"transaction version {tx.version} is not judged here (standard versions are 1 and 2; "
                      "version 3 is TRUC, which the rehearsal chain does not implement)")
    weight = stripped * 3 + len(raw)
    if weight > MAX_STANDARD_TX_WEIGHT:
        raise Refused(f"the transaction weighs {weight}, over the standard {MAX_STANDARD_TX_WEIGHT} (tx-size)")
    returns = 0
    for k, out in enumerate(tx.vout):
        script = out.script_pubkey.data
        if not _standard_output(script):
            raise Refused(f"output {k}: a non-standard output script (scriptpubkey)")
        returns += script[:1] == b"\x6a"
        if out.value < dust_threshold(script):
            raise Refused(f"output {k}: {out.value} sat is dust; a node relays at least {dust_threshold(script)} sat "
                          "to this kind of script (dust)")
    if returns > 1:
        raise Refused("more than one OP_RETURN output (multi-op-return)")
    for k, txin in enumerate(tx.vin):
        script_sig = txin.script_sig.data
        if len(script_sig) > MAX_STANDARD_SCRIPTSIG_SIZE:
            raise Refused(f"input {k}: the scriptSig is over {MAX_STANDARD_SCRIPTSIG_SIZE} bytes (scriptsig-size)")
        if pushes(script_sig) is None:
            raise Refused(f"input {k}: the scriptSig holds more than data pushes (scriptsig-not-pushonly)")


def check_final(tx: Transaction, tip: Tip) -> None:
    """IsFinalTx for the next block (BIP-113: times against the tip's median time past)."""
    if tx.locktime == 0 or all(i.sequence == SEQUENCE_FINAL for i in tx.vin):
        return
    height = tip.height + 1
    if tx.locktime < LOCKTIME_THRESHOLD:
        if tx.locktime >= height:
            raise Refused(f"the transaction is locked until block {tx.locktime}; the next block is {height} "
                          "(non-final)")
    elif tx.locktime >= tip.median_time_past(tip.height):
        raise Refused(f"the transaction is locked until time {tx.locktime}; the chain's median time past is "
                      f"{tip.median_time_past(tip.height)} (non-final)")


def check_sequence_locks(tx: Transaction, coins: list[Coin], tip: Tip) -> None:
    """BIP-68 relative lock times (CalculateSequenceLocks, EvaluateSequenceLocks) for the next block."""
    if tx.version < 2:
        return
    height = tip.height + 1
    for k, (txin, coin) in enumerate(zip(tx.vin, coins, strict=True)):
        if txin.sequence & SEQUENCE_DISABLE:
            continue
        coin_height = height if coin.height is None else coin.height
        value = txin.sequence & SEQUENCE_MASK
        if txin.sequence & SEQUENCE_TYPE:
            start = tip.median_time_past(max(coin_height - 1, 0))
            if start + (value << 9) - 1 >= tip.median_time_past(tip.height):
                raise Refused(f"input {k}: its nSequence locks it for {value * 512} s after its coin confirmed, "
                              "not yet passed (non-BIP68-final)")
        elif coin_height + value - 1 >= height:
            raise Refused(f"input {k}: its nSequence locks it for {value} blocks after its coin confirmed "
                          f"(block {coin_height}); the next block is {height} (non-BIP68-final)")


def _sighash_byte_refusal(k: int, sig: bytes) -> str | None:
    if sig and sig[-1] != 1:
        return (f"input {k}: signature hash type {sig[-1]:#04x} is not judged by the rehearsal chain (it checks "
                "SIGHASH_ALL and taproot's SIGHASH_DEFAULT signatures); sign with SIGHASH_ALL")
    if sig and not strict_der_low_s(sig[:-1]):
        return f"input {k}: a signature is not strict DER with a low S (BIP-66 consensus, BIP-146 policy)"
    return None


def _ecdsa_items(tx: Transaction, k: int, script: bytes) -> list[bytes]:
    """The ECDSA signatures of input `k` whose encoding a node checks before running the script."""
    txin, kind = tx.vin[k], Script(script).script_type()
    items, witness = pushes(txin.script_sig.data) or [], list(txin.witness.items)
    if kind == "p2pkh":
        return items[:1]
    if kind == "p2wpkh" or (kind == "p2sh" and len(items) == 1 and items[0][:2] == b"\x00\x14"):
        return witness[:1]
    if witness and parse_multisig(witness[-1]) is not None:
        return [w for w in witness[1:-1] if w]
    return []


def check_witness_policy(tx: Transaction, k: int, script: bytes) -> None:
    """Witness standardness (IsWitnessStandard) and the rule that a non-segwit input carries no witness."""
    txin = tx.vin[k]
    kind = Script(script).script_type()
    witness = list(txin.witness.items)
    items = pushes(txin.script_sig.data) or []
    segwit_p2sh = kind == "p2sh" and len(items) == 1 and items[0][:1] == b"\x00" and len(items[0]) in (22, 34)
    if kind in ("p2pkh",) or (kind == "p2sh" and not segwit_p2sh):
        if witness:
            raise Refused(f"input {k}: witness data on an input that is not segwit (unexpected-witness)")
        return
    wsh = kind == "p2wsh" or (segwit_p2sh and len(items[0]) == 34)
    if wsh and witness:
        if len(witness[-1]) > MAX_STANDARD_P2WSH_SCRIPT_SIZE:
            raise Refused(f"input {k}: the witness script is over {MAX_STANDARD_P2WSH_SCRIPT_SIZE} bytes")
        if len(witness) - 1 > MAX_STANDARD_P2WSH_STACK_ITEMS or any(
                len(w) > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE for w in witness[:-1]):
            raise Refused(f"input {k}: the witness stack is not standard (too many or too large items)")
    if kind == "p2tr" and len(witness) >= 2 and witness[-1][:1] == b"\x50":
        raise Refused(f"input {k}: a taproot annex is not judged by the rehearsal chain (and is not relayed)")


def _multi_a_count(tx: Transaction, k: int) -> str | None:
    items = tx.vin[k].witness.items
    parsed = tap.parse_multi_a(items[-2]) if len(items) >= 3 else None
    if parsed is not None and len(items) - 2 == len(parsed[1]):
        m, n, given = parsed[0], len(parsed[1]), sum(1 for x in items[:-2] if x)
        if given != m:
            return f"input {k}: {given} signatures for a {m}-of-{n} taproot multisig (multi_a takes exactly {m})"
    return None


def check_inputs(tx: Transaction, coins: list[Coin]) -> None:
    """Each input against the script it spends: signatures over embit's sighashes, the scripts run in the
    interpreter; what the interpreter cannot judge is refused by name, never let through."""
    spks, values = [Script(c.script) for c in coins], [c.value for c in coins]
    for k, coin in enumerate(coins):
        kind = spks[k].script_type()
        if kind not in ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr"):
            raise Refused(f"input {k} spends a {kind or 'non-standard'} output, which the rehearsal chain does not "
                          "judge (it judges P2PKH, P2SH-P2WPKH, P2WPKH, P2WSH and P2TR)")
        check_witness_policy(tx, k, coin.script)
        for sig in _ecdsa_items(tx, k, coin.script):
            why = _sighash_byte_refusal(k, sig)
            if why:
                raise Refused(why)
        if kind == "p2tr":
            why = _multi_a_count(tx, k)
            if why:
                raise Refused(why)
        valid, reason, conclusive = verify_input(tx, k, spks, values)
        if valid:
            continue
        if not conclusive or "SIGHASH_ALL" in reason:
            raise Refused(f"input {k}: the rehearsal chain cannot judge this {kind} spend ({reason}), so it refuses "
                          "it")
        raise Refused(f"input {k}: {reason} ({kind} spend)")


def check_fee(tx: Transaction, coins: list[Coin], vsize: int) -> int:
    """The fee: inputs must cover the outputs (bad-txns-in-belowout) and pay the minimum relay fee."""
    total_in = sum(c.value for c in coins)
    total_out = sum(o.value for o in tx.vout)
    if total_out > total_in:
        raise Refused(f"outputs ({total_out} sat) exceed inputs ({total_in} sat) (bad-txns-in-belowout)")
    fee = total_in - total_out
    need = vsize * MIN_RELAY_SAT_PER_KVB // 1000
    if fee < need:
        raise Refused(f"the fee of {fee} sat is below the minimum relay fee of {need} sat for {vsize} vbytes "
                      "(min relay fee not met)")
    return fee
