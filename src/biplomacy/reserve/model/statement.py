"""Reserve statements: a BIP-322 proof of funds (`pof`) over a multisig wallet's coins at a snapshot block.

The signed message commits to the operator's text, the wallet, the snapshot height and block hash, so none
of them can be edited afterwards. to_sign's input 0 spends the BIP-322 to_spend of that message for the
wallet's first receive script; inputs 1.. spend the coins proven, at their real amounts (BIP-143 commits to
them); the single output is OP_RETURN of 0, so the transaction can never move the coins.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from embit import ec
from embit.psbt import PSBT, DerivationPath, InputScope
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from biplomacy.reserve.bip322 import message as bip322
from biplomacy.reserve.bip322.inputs import verify_input
from biplomacy.reserve.bip322.pof import finalized_tx
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.descriptors import WalletDescriptor
from biplomacy.reserve.model.ledger import btc_text
from biplomacy.reserve.model.recovery_policy import parse_wallet

FORMAT = "biplomacy-reserve-statement/1"
FINAL = 0xFFFFFFFF
FIELDS = ("format", "id", "wallet", "network", "descriptor", "address", "threshold", "height", "block_hash",
          "message", "utxos", "total_sats", "total_btc", "created_at", "signature")


@dataclass(frozen=True, slots=True)
class Coin:
    """A coin proven by the statement, with where the wallet derives its script (public, from the descriptor)."""

    txid: str
    vout: int
    sats: int
    script_pubkey: str
    change: bool
    index: int

    def as_dict(self) -> dict[str, Any]:
        return {"txid": self.txid, "vout": self.vout, "sats": self.sats, "script_pubkey": self.script_pubkey,
                "change": self.change, "index": self.index}


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on a statement: valid, or the first reason it is not; what was recomputed."""

    valid: bool
    reason: str | None
    total_sats: int
    height: int | None
    utxos: int
    signers: tuple[str, ...]
    chain_checked: bool

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "reason": self.reason, "total_btc": btc_text(self.total_sats),
                "total_sats": self.total_sats, "height": self.height, "utxos": self.utxos,
                "signers": list(self.signers), "chain_checked": self.chain_checked}


def signed_message(message: str, wallet: str, height: int, block_hash: str) -> bytes:
    """The exact bytes signed: the operator's text and the snapshot it speaks for."""
    return (f"{message}\n--\nReserve statement of wallet {wallet} at block height {height}, "
            f"block {block_hash}").encode()


def _derivations(wallet: WalletDescriptor, index: int, change: bool) -> dict[ec.PublicKey, DerivationPath]:
    return {ec.PublicKey.parse(k.pubkey): DerivationPath(bytes.fromhex(k.fingerprint), k.path)
            for k in wallet.keys_at(index, change)}


def build_pof_psbt(wallet: WalletDescriptor, message: bytes, coins: list[Coin]) -> PSBT:
    """The unsigned to_sign as a PSBT: input 0 the message (first receive script), inputs 1.. the coins."""
    spk0 = Script(wallet.script_pubkey(0, False))
    spend = bip322.to_spend(message, spk0)
    # nSequence 0xFFFFFFFF on every input: what embit's PSBT writes anyway (it turns 0 into it), stated here
    vin = [TransactionInput(spend.txid(), 0, sequence=FINAL)]
    vin += [TransactionInput(bytes.fromhex(c.txid), c.vout, sequence=FINAL) for c in coins]
    tx = Transaction(version=0, vin=vin, vout=[TransactionOutput(0, Script(b"\x6a"))], locktime=0)
    psbt = PSBT(tx)
    where = [(0, False, 0, spk0.data)] + [(c.index, c.change, c.sats, bytes.fromhex(c.script_pubkey)) for c in coins]
    for scope, (index, change, sats, spk) in zip(psbt.inputs, where, strict=True):
        if wallet.script_pubkey(index, change) != spk:
            raise ValueError(f"coin script does not belong to the wallet at {'change' if change else 'receive'} "
                             f"index {index}")
        scope.witness_utxo = TransactionOutput(sats, Script(spk))
        if wallet.is_taproot:  # the script leaf, its control block and x-only keys (BIP-371); SIGHASH_DEFAULT
            tap.fill_input(scope, wallet, index, change)
            continue
        scope.witness_script = Script(wallet.witness_script(index, change))
        scope.bip32_derivations = _derivations(wallet, index, change)
        scope.sighash_type = SIGHASH.ALL
    psbt.inputs[0].non_witness_utxo = spend
    return psbt


def finalize(unsigned: PSBT, signed: list[PSBT]) -> str:
    """Merge the signers' partial signatures into each multisig witness: the `pof`-prefixed base64 of the
    finalized PSBT (BIP-174 finalizer: final witness set, signing metadata removed, coins kept)."""
    final = PSBT.parse(unsigned.serialize())
    for i, scope in enumerate(final.inputs):
        if scope.taproot_scripts:
            _finalize_taproot(i, scope, signed)
            continue
        script = scope.witness_script.data
        parsed = primary_multisig(script)
        if parsed is None:
            raise ValueError(f"input {i} has no multisig witness script")
        m, keys = parsed
        sigs: dict[bytes, bytes] = {}
        for upload in signed:
            sigs.update({pub.sec(): sig for pub, sig in upload.inputs[i].partial_sigs.items()})
        ordered = [sigs[k] for k in keys if k in sigs][:m]
        if len(ordered) < m:
            raise ValueError(f"input {i} has {len(ordered)} of {m} signatures")
        scope.final_scriptwitness = Witness([b"", *ordered, script])
        scope.partial_sigs.clear()
        scope.bip32_derivations.clear()
        scope.witness_script = None
        scope.sighash_type = None
    return "pof" + base64.b64encode(final.serialize()).decode()


def _finalize_taproot(i: int, scope: InputScope, signed: list[PSBT]) -> None:
    """A taproot input's final witness: the multi_a script-path witness from the signers' Schnorr signatures."""
    control, script = tap.leaf_of(scope)
    sigs: dict[bytes, bytes] = {}
    for upload in signed:
        sigs.update({pub.xonly(): sig for (pub, _), sig in upload.inputs[i].taproot_sigs.items()})
    try:
        scope.final_scriptwitness = Witness(tap.witness(control, script, sigs))
    except ValueError as exc:
        raise ValueError(f"input {i}: {exc}") from None
    scope.taproot_scripts.clear()
    scope.taproot_bip32_derivations.clear()
    scope.taproot_sigs.clear()
    scope.taproot_internal_key = scope.taproot_merkle_root = None


def signature_tx(signature: str) -> Transaction:
    """The signed to_sign of a `pof` signature: a finalized PSBT, or a raw transaction (older statements)."""
    raw = base64.b64decode(signature[3:], validate=True)
    if raw[:5] == b"psbt\xff":
        return finalized_tx(PSBT.parse(raw), raw)
    return Transaction.parse(raw)


def primary_multisig(script: bytes) -> tuple[int, list[bytes]] | None:
    """(M, keys) of a multisig witness script, or of the primary path that opens a recovery policy's script
    (`M <keys> N CHECKMULTISIG IFDUP NOTIF ... ENDIF`: miniscript's or_d, whose first branch is satisfied by the
    multisig's own witness, a dummy and M signatures)."""
    parsed = bip322.parse_multisig(script)
    if parsed is not None or not script or not 0x51 <= script[0] <= 0x60:
        return parsed
    pos = 1
    while pos < len(script) and script[pos] == 33:
        pos += 34
    end = pos + 2
    if end + 2 > len(script) or script[end:end + 2] != b"\x73\x64":  # IFDUP NOTIF: or_d's first branch
        return None
    return bip322.parse_multisig(script[:end])


def _multisig_signers(tx: Transaction, i: int, spk: bytes, sats: int, witness: Witness) -> tuple[list[bytes], str]:
    """The public keys whose signatures satisfy input i's multisig witness (CHECKMULTISIG order), or why not."""
    items = witness.items
    if len(items) < 2 or hashlib.sha256(items[-1]).digest() != spk[2:] or spk[:2] != b"\x00\x20":
        return [], f"input {i}: the witness script does not match the coin's script"
    parsed = primary_multisig(items[-1])
    if parsed is None:
        return [], f"input {i}: not a multisig witness script"
    m, keys = parsed
    sigs = items[1:-1]
    if items[0] != b"" or len(sigs) != m:
        return [], f"input {i}: expected a dummy item and {m} signatures"
    code, k, used = Script(items[-1]), 0, []
    for sig in sigs:
        while k < len(keys) and not bip322.checksig_ecdsa(tx, i, code, sats, sig, keys[k]):
            k += 1
        if k == len(keys):
            return [], f"input {i}: invalid signature (edited amount, coin or message, or a corrupted signature)"
        used.append(keys[k])
        k += 1
    return used, ""


def _taproot_signers(tx: Transaction, i: int, spks: list[Script], values: list[int]) -> tuple[list[bytes], str]:
    """The x-only keys whose signatures satisfy input i's taproot multi_a leaf, or why not: the control block
    commits the leaf to the coin's output key and the leaf runs in BIP-322's tapscript interpreter."""
    valid, why, _ = verify_input(tx, i, spks, values)
    if not valid:
        return [], f"input {i}: {why} (edited amount, coin or message, or a corrupted signature)"
    used = tap.signers_of(tx.vin[i].witness.items)
    return (used, "") if used else ([], f"input {i}: not a taproot multi_a script-path witness")


def _hex(text: object, size: int | None = None) -> str:
    out = str(text).lower()
    raw = bytes.fromhex(out)
    if size is not None and len(raw) != size:
        raise ValueError(f"{out[:80]!r} is not {size} bytes of hex")
    return out


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"change must be true or false, not {str(value)[:40]!r}")
    return value


def _coins(statement: dict[str, Any]) -> list[Coin]:
    """The listed coins, each field checked (ValueError, TypeError or KeyError for a malformed one)."""
    out = []
    for u in statement["utxos"]:
        coin = Coin(_hex(u["txid"], 32), int(u["vout"]), int(u["sats"]), _hex(u["script_pubkey"]),
                    _flag(u["change"]), int(u["index"]))
        if not (0 <= coin.vout < 2**32 and 0 <= coin.sats <= 21_000_000 * 10**8 and 0 <= coin.index < 2**31):
            raise ValueError(f"coin {coin.txid}:{coin.vout} has an out-of-range vout, amount or index")
        out.append(coin)
    return out


def _chain_problem(coins: list[Coin], height: int, block_hash: str, chain: Any) -> str | None:
    if isinstance(chain, dict):
        if "height" in chain and str(chain["height"]) != str(height):
            return f"the chain data is for height {chain['height']}, the statement claims height {height}"
        if chain.get("block_hash") and chain["block_hash"] != block_hash:
            return f"the chain data's block at height {height} is {chain['block_hash']}, not {block_hash}"
        chain = chain.get("utxos", [])
    if not isinstance(chain, list):
        return "the chain data is malformed: a list of unspent outputs is expected"
    try:
        have = {(str(u["txid"]).lower(), int(u["vout"])): u for u in chain}
    except (KeyError, TypeError, ValueError):
        return "the chain data is malformed: each entry needs txid, vout, sats, script_pubkey, height"
    for c in coins:
        u = have.get((c.txid, c.vout))
        if u is None:
            return f"coin {c.txid}:{c.vout} is not unspent in the chain data"
        try:
            if int(u["sats"]) != c.sats or str(u["script_pubkey"]).lower() != c.script_pubkey:
                return f"coin {c.txid}:{c.vout} has another amount or script in the chain data"
            if u.get("height") is None or int(u["height"]) > height:
                return f"coin {c.txid}:{c.vout} was not confirmed at height {height}"
        except (KeyError, TypeError, ValueError, AttributeError):
            return f"the chain data's entry for {c.txid}:{c.vout} is malformed"
    return None


def verify_statement(statement: dict[str, Any], chain_utxos: Any | None = None) -> Check:
    """Check a statement offline: signatures against each coin's script, coins in the descriptor, totals, and
    (when chain data is given) that every coin was confirmed and unspent at the snapshot height."""
    def bad(reason: str, total: int = 0, height: int | None = None, n: int = 0) -> Check:
        return Check(False, reason, total, height, n, (), chain_utxos is not None)

    missing = [f for f in FIELDS if f not in statement]
    if missing:
        return bad(f"the statement lacks {', '.join(missing)}")
    try:
        coins = _coins(statement)
        height, total = statement["height"], statement["total_sats"]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (height, total)):
            raise ValueError("height and total_sats must be non-negative integers")
        _hex(statement["block_hash"], 32)
        wallet = parse_wallet(str(statement["descriptor"]), str(statement["network"]))
        first_address = wallet.address(0, False)
    except Exception as exc:  # noqa: BLE001 - any malformed field makes the statement invalid, not a crash
        return bad(f"malformed statement: {exc}"[:300])
    n = len(coins)
    if sum(c.sats for c in coins) != total:
        return bad(f"total_sats {total} is not the sum of the coins ({sum(c.sats for c in coins)})", total, height, n)
    if btc_text(total) != str(statement["total_btc"]):
        return bad(f"total_btc {statement['total_btc']} is not {btc_text(total)}", total, height, n)
    if len({(c.txid, c.vout) for c in coins}) != n:
        return bad("a coin is listed twice", total, height, n)
    if first_address != statement["address"]:
        return bad("the message address is not the descriptor's first receive address", total, height, n)
    for c in coins:
        if wallet.script_pubkey(c.index, c.change) != bytes.fromhex(c.script_pubkey):
            return bad(f"coin {c.txid}:{c.vout} is not paid to the descriptor at its stated index", total, height, n)
    sig = str(statement["signature"])
    if not sig.startswith("pof"):
        return bad("the signature is not a BIP-322 proof of funds (no `pof` prefix)", total, height, n)
    try:
        tx = signature_tx(sig)
    except (binascii.Error, ValueError, Exception):  # noqa: BLE001 - embit parse errors
        return bad("the signature is not a base64 finalized PSBT or transaction", total, height, n)
    msg = signed_message(str(statement["message"]), str(statement["wallet"]), height, str(statement["block_hash"]))
    spk0 = wallet.script_pubkey(0, False)
    problem = bip322.check_to_sign(tx, bip322.to_spend(msg, Script(spk0)))
    if problem:
        return bad(f"the signature is not over this statement's message, wallet, height and block ({problem})",
                   total, height, n)
    if [(i.txid.hex(), i.vout) for i in tx.vin[1:]] != [(c.txid, c.vout) for c in coins]:
        return bad("the signature proves other coins than the statement lists", total, height, n)
    signed_all: set[str] | None = None
    where = [(0, False, spk0, 0)] + [(c.index, c.change, bytes.fromhex(c.script_pubkey), c.sats) for c in coins]
    spks, values = [Script(w[2]) for w in where], [w[3] for w in where]
    for i, (index, change, spk, sats) in enumerate(where):
        if wallet.is_taproot:
            used, why = _taproot_signers(tx, i, spks, values)
            names = {k.pubkey[1:]: k.fingerprint for k in wallet.keys_at(index, change)}
        else:
            used, why = _multisig_signers(tx, i, spk, sats, tx.vin[i].witness)
            names = {k.pubkey: k.fingerprint for k in wallet.keys_at(index, change)}
        if why:
            return bad(why, total, height, n)
        here = {names.get(p, p.hex()[:8]) for p in used}
        signed_all = here if signed_all is None else signed_all & here
    if chain_utxos is not None:
        stale = _chain_problem(coins, height, str(statement["block_hash"]), chain_utxos)
        if stale:
            return bad(stale, total, height, n)
    signers = tuple(sorted(signed_all or ()))
    return Check(True, None, total, height, n, signers, chain_utxos is not None)
