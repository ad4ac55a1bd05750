"""Spend PSBTs: build the unsigned PSBT a proposal hands to signers, check what they upload, and finalise at M.

embit builds the PSBT from the ledger's coins (BDK's TxBuilder would need BDK's own wallet state, which the
ledger replaces) with the witness scripts and BIP-32 derivations hardware wallets need, and verifies each
partial signature against the wallet's keys (BDK exposes no per-signature check). BDK's miniscript
finaliser turns M signatures into the witness and extracts the transaction.

Taproot wallets (tr(H, multi_a)) spend by their one script leaf: reserve/taproot_spend.py writes BIP-371's
taproot fields (bdkpython 3.1 cannot parse sortedmulti_a; docs/adr/0009), each PSBT_IN_TAP_SCRIPT_SIG is
checked against the BIP-341 script-path sighash, and BDK's finaliser, which reads the leaf from the PSBT,
builds the witness (M signatures in the order multi_a reads them, the leaf, the control block).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import bdkpython as bdk
from embit import compact, ec
from embit.psbt import PSBT, DerivationPath, InputScope
from embit.script import Script
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from biplomacy.core.errors import InputError
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.descriptors import KeyAt, SpendPath, WalletDescriptor
from biplomacy.reserve.model.policy_shape import Tree
from biplomacy.reserve.model.psbt_format import check_psbt_bytes

DUST_SATS = 330  # P2WSH dust threshold at the default relay fee (P2TR's is 330 too)


@dataclass(frozen=True, slots=True)
class SpendInput:
    """A coin the wallet owns: where it is, its value, its derivation, and (for hardware wallets) its parent tx."""

    txid: str
    vout: int
    sats: int
    change: bool
    index: int
    prev_tx_hex: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    inputs: list[SpendInput]
    fee: int
    change_sats: int


@dataclass(frozen=True, slots=True)
class UploadCheck:
    """What an upload proves: the fingerprints with a valid signature on every input, or why it is refused."""

    accepted: bool
    reason: str
    fingerprints: tuple[str, ...] = ()


def estimate_vsize(m: int, n: int, n_inputs: int, n_outputs: int, taproot: bool = False,
                   witness: int | None = None) -> int:
    """Virtual size of a P2WSH m-of-n spend (72-byte signatures) or of a taproot multi_a script-path spend;
    43-byte outputs (P2WSH and P2TR alike). `witness`: one input's witness bytes when known (path_witness)."""
    if witness is None:
        witness = tap.estimate_witness(m, n) if taproot else 1 + 1 + m * 73 + 3 + (3 + 34 * n)
    base = 10 + n_inputs * 41 + n_outputs * 43
    return base + (n_inputs * witness + 2 + 3) // 4


def _push(size: int) -> int:
    return len(compact.to_bytes(size)) + size


def _or_i_selectors(tree: Tree, target: int) -> list[int] | None:
    """The or_i choices down to path `target`, as witness item sizes: 0x01 for the left branch (2 bytes), empty
    for the right (1 byte); None when `target` is not under `tree`."""
    if isinstance(tree, int):
        return [] if tree == target else None
    left, right = tree
    for push, branch in ((2, left), (1, right)):
        below = _or_i_selectors(branch, target)
        if below is not None:
            return [push, *below]
    return None


def path_witness(wallet: WalletDescriptor, path: SpendPath) -> int:
    """Bytes of one input's witness when `path` spends it (72-byte signatures plus the sighash byte, taproot's
    65-byte ones): P2WSH or_d(primary, recovery): the recovery satisfaction, the or_i selectors, and the primary
    multisig's dissatisfaction (a dummy and M empty pushes) under it; taproot: the leaf's signatures and empty
    pushes, the leaf and its control block."""
    if wallet.is_taproot:
        leaf = tap.tap_leaf(wallet, 0, False, path.name)
        n = len(leaf.keys)
        items = [tap.SIGNATURE_VBYTES] * path.threshold + [1] * (n - path.threshold)
        return len(compact.to_bytes(n + 2)) + sum(items) + _push(len(leaf.script)) + _push(len(leaf.control_block))
    script = len(wallet.witness_script(0))
    items = [1] + [74] * path.threshold  # CHECKMULTISIG's dummy, then the signatures with their push
    if path.is_recovery:
        recoveries = wallet.tree[1] if isinstance(wallet.tree, tuple) else wallet.tree  # or_d(primary, recoveries)
        items += _or_i_selectors(recoveries, wallet.paths.index(path)) or []
        items += [1] * (wallet.threshold + 1)  # the primary multi's dissatisfaction: dummy and M empty pushes
    return len(compact.to_bytes(len(items) + 1)) + sum(items) + _push(script)


def select_coins(coins: list[SpendInput], amount: int, fee_rate: int, m: int, n: int,
                 taproot: bool = False, witness: int | None = None) -> Selection:
    """Largest coins first until the amount and fee are covered; change below dust goes to the fee."""
    if amount <= DUST_SATS:
        raise InputError(f"amount must be more than {DUST_SATS} sat (dust)", field="amount")
    chosen: list[SpendInput] = []
    total = 0
    for coin in sorted(coins, key=lambda c: (-c.sats, c.txid, c.vout)):
        chosen.append(coin)
        total += coin.sats
        fee = estimate_vsize(m, n, len(chosen), 2, taproot, witness) * fee_rate
        if total >= amount + fee:
            change = total - amount - fee
            if change < DUST_SATS:
                return Selection(chosen, total - amount, 0)
            return Selection(chosen, fee, change)
    need = amount + estimate_vsize(m, n, max(1, len(chosen)), 2, taproot, witness) * fee_rate
    raise InputError(f"the wallet's confirmed coins ({total} sat) do not cover {amount} sat plus the fee "
                     f"(about {need - amount} sat); sync the wallet or lower the amount", field="amount")


def sweep(coins: list[SpendInput], fee_rate: int, m: int, n: int, taproot: bool = False,
          witness: int | None = None) -> tuple[Selection, int]:
    """Every coin to one output (a rotation's sweep, a refresh): the selection and the amount the output gets,
    which is the coins' total less the fee; InputError when nothing would be left above dust."""
    if not coins:
        raise InputError("the wallet has no confirmed coin to move; sync it first", field="name")
    total = sum(c.sats for c in coins)
    fee = estimate_vsize(m, n, len(coins), 1, taproot, witness) * fee_rate
    if total - fee <= DUST_SATS:
        raise InputError(f"the coins ({total} sat) do not pay the fee of {fee} sat and leave more than dust",
                         field="fee_rate")
    ordered = sorted(coins, key=lambda c: (c.txid, c.vout))
    return Selection(ordered, fee, 0), total - fee


def _derivations(keys: list[KeyAt]) -> dict[ec.PublicKey, DerivationPath]:
    return {ec.PublicKey.parse(k.pubkey): DerivationPath(bytes.fromhex(k.fingerprint), k.path) for k in keys}


def _every_key(wallet: WalletDescriptor, index: int, change: bool) -> list[KeyAt]:
    return [k for p in wallet.spend_paths for k in wallet.path_keys_at(p, index, change)]


def _own_output(psbt: PSBT, k: int, wallet: WalletDescriptor, index: int) -> None:
    """Mark output `k` (at the change branch's `index`) as the wallet's own, with every key, so that a signer's
    device shows it as change rather than a payment."""
    if wallet.is_taproot:
        tap.fill_output(psbt.outputs[k], wallet, index)
        return
    out = psbt.outputs[k]
    out.witness_script = Script(wallet.witness_script(index, True))
    out.bip32_derivations = _derivations(_every_key(wallet, index, True))


def build_psbt(wallet: WalletDescriptor, selection: Selection, destination: bytes, amount: int,
               change_index: int, path: str = "primary", own_index: int | None = None) -> PSBT:
    """The unsigned PSBT (BIP-174 v0) with witness UTXOs, witness scripts and BIP-32 derivations (P2WSH), or
    leaf scripts, control blocks and taproot derivations (BIP-371), for a spend by `path`: its inputs carry that
    path's keys only (and, in taproot, its leaf only), and a recovery path's timelock as their nSequence
    (BIP-68), which its older(N) checks; the change output carries every key of the wallet (so does the one
    output of a refresh, at the change branch's `own_index`)."""
    spend_path = wallet.path(path)
    vin = [TransactionInput(bytes.fromhex(c.txid), c.vout, sequence=spend_path.sequence) for c in selection.inputs]
    vout = [TransactionOutput(amount, Script(destination))]
    if selection.change_sats:
        vout.append(TransactionOutput(selection.change_sats, Script(wallet.script_pubkey(change_index, True))))
    psbt = PSBT(Transaction(version=2, vin=vin, vout=vout, locktime=0))
    for scope, coin in zip(psbt.inputs, selection.inputs, strict=True):
        scope.witness_utxo = TransactionOutput(coin.sats, Script(wallet.script_pubkey(coin.index, coin.change)))
        if coin.prev_tx_hex:
            scope.non_witness_utxo = Transaction.from_string(coin.prev_tx_hex)
        if wallet.is_taproot:  # SIGHASH_DEFAULT: no sighash field, as BIP-371 signers expect
            tap.fill_input(scope, wallet, coin.index, coin.change, path)
            continue
        scope.witness_script = Script(wallet.witness_script(coin.index, coin.change))
        scope.bip32_derivations = _derivations(wallet.path_keys_at(spend_path, coin.index, coin.change))
        scope.sighash_type = SIGHASH.ALL
    if selection.change_sats:
        _own_output(psbt, 1, wallet, change_index)
    if own_index is not None:  # a refresh pays the wallet itself
        _own_output(psbt, 0, wallet, own_index)
    return psbt


def read_psbt(data: bytes) -> PSBT:
    """Parse an uploaded PSBT (binary or base64 text); InputError when it is not a well-formed PSBT."""
    raw = data.strip()
    if not raw.startswith(b"psbt\xff"):
        try:
            raw = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InputError("the file is not a PSBT: neither binary PSBT nor valid base64", field="psbt") from None
    check_psbt_bytes(raw)
    try:
        return PSBT.parse(raw)
    except Exception:  # noqa: BLE001 - embit raises many kinds for a malformed PSBT
        raise InputError("the file is not a valid PSBT (BIP-174)", field="psbt") from None


def _differs(proposal: Transaction, upload: Transaction) -> str:
    ins = [(i.txid, i.vout) for i in proposal.vin]
    if sorted(ins) != sorted((i.txid, i.vout) for i in upload.vin):
        return "this PSBT spends other coins than the proposal: it belongs to another wallet or proposal"
    if [(o.value, o.script_pubkey.data) for o in proposal.vout] != [(o.value, o.script_pubkey.data)
                                                                    for o in upload.vout]:
        return "this PSBT's outputs or fee differ from the approved proposal"
    return "this PSBT's transaction differs from the approved proposal (version, order, sequence or lock time)"


def _outside(wallet: WalletDescriptor, path: SpendPath) -> str:
    return f"the {path.name} path's keys" if wallet.has_recovery else "this wallet's quorum"


def _segwit_signers(wallet: WalletDescriptor, tx: Transaction, coin: SpendInput, i: int,
                    scope: InputScope, path: SpendPath) -> set[str] | str:
    """Fingerprints with a valid ECDSA partial signature on P2WSH input `i`, or why the input is refused."""
    keys = {k.pubkey: k.fingerprint for k in wallet.path_keys_at(path, coin.index, coin.change)}
    script = Script(wallet.witness_script(coin.index, coin.change))
    here: set[str] = set()
    for pub, sig in scope.partial_sigs.items():
        fp = keys.get(pub.sec())
        if fp is None:
            return f"input {i} carries a signature by a key outside {_outside(wallet, path)}"
        if not sig or sig[-1] != SIGHASH.ALL:
            return f"input {i}: signature of {fp} is not SIGHASH_ALL"
        msg = tx.sighash_segwit(i, script, coin.sats, SIGHASH.ALL)
        try:
            ok = pub.verify(ec.Signature.parse(sig[:-1]), msg)
        except Exception:  # noqa: BLE001 - malformed DER is a corrupted signature
            ok = False
        if not ok:
            return f"input {i}: the signature of {fp} does not verify (corrupted, or made for another transaction)"
        here.add(fp)
    return here


def _taproot_signers(wallet: WalletDescriptor, tx: Transaction, coins: list[SpendInput], spks: list[Script], i: int,
                     scope: InputScope, path: SpendPath) -> set[str] | str:
    """Fingerprints with a valid Schnorr script-path signature on taproot input `i`, or why it is refused."""
    if scope.partial_sigs:
        return (f"input {i} carries ECDSA signatures; a taproot input takes Schnorr signatures "
                "(PSBT_IN_TAP_SCRIPT_SIG): sign with a wallet that supports taproot script paths")
    leaf = tap.tap_leaf(wallet, coins[i].index, coins[i].change, path.name)
    keys = {k.pubkey[1:]: k.fingerprint for k in leaf.keys}
    here: set[str] = set()
    for (pub, leaf_hash), sig in scope.taproot_sigs.items():
        fp = keys.get(pub.xonly())
        if fp is None:
            return f"input {i} carries a signature by a key outside {_outside(wallet, path)}"
        why = tap.signature_check(tx, i, spks, [c.sats for c in coins], leaf, pub.xonly(), leaf_hash, sig)
        if why:
            return f"input {i}: the signature of {fp} {why}"
        here.add(fp)
    return here


def check_upload(wallet: WalletDescriptor, proposal: PSBT, inputs: list[SpendInput], upload: PSBT,
                 path: str = "primary") -> UploadCheck:
    """Verify every partial signature of `upload` against the keys of the proposal's path (a plain wallet: its
    M-of-N) for the proposal's transaction.

    Values and scripts come from the stored proposal, never from the upload (a taproot sighash commits to all)."""
    if upload.tx.txid() != proposal.tx.txid():
        return UploadCheck(False, _differs(proposal.tx, upload.tx))
    spend_path = wallet.path(path)
    spks = [Script(wallet.script_pubkey(c.index, c.change)) for c in inputs] if wallet.is_taproot else []
    signed_all: set[str] | None = None
    for i, (scope, coin) in enumerate(zip(upload.inputs, inputs, strict=True)):
        here = (_taproot_signers(wallet, proposal.tx, inputs, spks, i, scope, spend_path) if wallet.is_taproot
                else _segwit_signers(wallet, proposal.tx, coin, i, scope, spend_path))
        if isinstance(here, str):
            return UploadCheck(False, here)
        signed_all = here if signed_all is None else signed_all & here
    if not signed_all:
        return UploadCheck(False, "no signer signed every input of this PSBT")
    return UploadCheck(True, "", tuple(sorted(signed_all)))


def combine_and_finalize(proposal: PSBT, signed: list[PSBT]) -> str:
    """Merge the signers' signatures (ECDSA partial signatures, or taproot script-path Schnorr signatures) into
    the proposal and finalise with BDK's miniscript finaliser; return the raw transaction hex."""
    merged = PSBT.parse(proposal.serialize())
    for upload in signed:
        for mine, theirs in zip(merged.inputs, upload.inputs, strict=True):
            mine.partial_sigs.update(theirs.partial_sigs)
            mine.taproot_sigs.update(theirs.taproot_sigs)
    result = bdk.Psbt(merged.to_base64()).finalize()
    if not result.could_finalize:
        raise InputError("the signatures collected do not finalise the transaction", field="psbt")
    return bytes(result.psbt.extract_tx().serialize()).hex()
