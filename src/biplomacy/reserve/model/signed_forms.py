"""What signers' wallets hand back, in every form, turned into the signatures the ceremony checks one by one.

Electrum, Sparrow, Specter, Coldcard and HWI return a PSBT in binary, base64 or hex; a wallet that holds the last
signature it needs finalises the PSBT (final_scriptwitness instead of partial signatures) or hands back the
finished raw transaction (Electrum does, when the PSBT it signs already carries M-1 signatures). Each is read
here; a finalised input's witness is taken apart again into (key, signature) pairs, each signature matched to the
wallet's key it verifies under, so that spend_psbt.check_upload verifies and counts it as it does any PSBT's.
"""

from __future__ import annotations

import base64
import binascii
import string
from typing import TypeAlias

from embit import ec
from embit.psbt import PSBT
from embit.script import Script
from embit.transaction import SIGHASH, Transaction, TransactionInput

from biplomacy.core.errors import InputError
from biplomacy.reserve.model import taproot_spend as tap
from biplomacy.reserve.model.descriptors import SpendPath, WalletDescriptor
from biplomacy.reserve.model.psbt_format import MAGIC, check_psbt_bytes
from biplomacy.reserve.model.spend_psbt import SpendInput

Upload: TypeAlias = PSBT | Transaction
MIN_SIGNATURE = 9  # bytes of the shortest DER signature with its sighash byte (BIP-66)
NOT_SIGNED = ("the file is not a PSBT (binary, base64 or hex) nor a signed transaction (hex or binary): "
              "hand back the file your wallet saved after signing")


def _psbt(raw: bytes) -> PSBT:
    check_psbt_bytes(raw)
    try:
        return PSBT.parse(raw)
    except Exception:  # noqa: BLE001 - embit raises many kinds for a malformed PSBT
        raise InputError("the file is not a valid PSBT (BIP-174)", field="psbt") from None


def _transaction(raw: bytes) -> Transaction | None:
    """A raw transaction that parses and re-serialises to the same bytes, else None."""
    try:
        tx = Transaction.parse(raw)
    except Exception:  # noqa: BLE001 - not a transaction
        return None
    return tx if tx.serialize() == raw and tx.vin and tx.vout else None


def read_upload(data: bytes) -> Upload:
    """A PSBT (binary, base64 or hex) or a finished transaction (hex or binary); InputError naming what the file
    is not, for anything else."""
    if data.startswith(MAGIC):
        return _psbt(data)
    text = b"".join(data.split())
    if text.startswith(MAGIC):
        return _psbt(text)
    try:
        ascii_text = text.decode("ascii")
    except UnicodeDecodeError:
        ascii_text = ""
    if ascii_text and len(ascii_text) % 2 == 0 and all(c in string.hexdigits for c in ascii_text):
        raw = bytes.fromhex(ascii_text)
        if raw.startswith(MAGIC):
            return _psbt(raw)
        tx = _transaction(raw)
        if tx is not None:
            return tx
        raise InputError("the file is hex, but of neither a PSBT nor a complete transaction", field="psbt")
    if ascii_text:
        try:
            raw = base64.b64decode(ascii_text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw.startswith(MAGIC):
            return _psbt(raw)
        if raw:
            raise InputError("the file is base64, but not of a PSBT", field="psbt")
    tx = _transaction(data)
    if tx is not None:
        return tx
    raise InputError(NOT_SIGNED, field="psbt")


def txid_of(upload: Upload) -> bytes:
    return upload.txid() if isinstance(upload, Transaction) else upload.tx.txid()


def _bare(tx: Transaction) -> PSBT:
    """A PSBT of `tx` without its signatures (for check_upload to compare with the proposal and refuse)."""
    inputs = [TransactionInput(i.txid, i.vout, sequence=i.sequence) for i in tx.vin]
    return PSBT(Transaction(tx.version, inputs, tx.vout, tx.locktime))


def _wsh_sigs(wallet: WalletDescriptor, tx: Transaction, i: int, coin: SpendInput,
              items: list[bytes], path: SpendPath) -> dict[ec.PublicKey, bytes] | str:
    script = wallet.witness_script(coin.index, coin.change)
    if not items or items[-1] != script:
        return f"input {i}: the finished witness is not this wallet's script at this coin's path"
    msg = tx.sighash_segwit(i, Script(script), coin.sats, SIGHASH.ALL)
    keys = [ec.PublicKey.parse(k.pubkey) for k in wallet.path_keys_at(path, coin.index, coin.change)]
    found: dict[ec.PublicKey, bytes] = {}
    # signatures only: a recovery spend's witness also holds empty pushes and or_i's 0x01 selectors
    for sig in (s for s in items[:-1] if len(s) >= MIN_SIGNATURE):
        match = None
        for pub in keys:
            try:
                if pub not in found and sig[-1] == SIGHASH.ALL and pub.verify(ec.Signature.parse(sig[:-1]), msg):
                    match = pub
                    break
            except Exception:  # noqa: BLE001 - malformed DER matches no key
                continue
        if match is None:
            return f"input {i}: a signature in the finished transaction verifies under no key of this wallet"
        found[match] = sig
    return found


def _tap_sigs(wallet: WalletDescriptor, i: int, coin: SpendInput,
              items: list[bytes], path: SpendPath) -> dict[tuple[ec.PublicKey, bytes], bytes] | str:
    leaf = tap.tap_leaf(wallet, coin.index, coin.change, path.name)
    if len(items) < 3 or items[-2] != leaf.script or items[-1] != leaf.control_block:
        return f"input {i}: the finished witness is not this wallet's taproot leaf at this coin's path"
    args = items[:-2][::-1]  # the first key of the leaf reads the top of the stack
    if len(args) != len(leaf.keys):
        return f"input {i}: the finished witness has {len(args)} signature slots for {len(leaf.keys)} keys"
    return {(ec.PublicKey.from_xonly(k.pubkey[1:]), leaf.leaf_hash): sig
            for k, sig in zip(leaf.keys, args, strict=True) if sig}


def signatures_of(wallet: WalletDescriptor, proposal: PSBT, inputs: list[SpendInput], upload: Upload,
                  path: str = "primary") -> PSBT | str:
    """The upload as a PSBT of the proposal's transaction whose inputs carry partial (or taproot script-path)
    signatures, each still to be verified by check_upload; or why a finalised input cannot be read back.

    A PSBT whose inputs are not finalised comes back as it is; a transaction of another txid is left for
    check_upload to refuse with its reason."""
    if isinstance(upload, PSBT) and not any(s.final_scriptwitness or s.final_scriptsig for s in upload.inputs):
        return upload
    if txid_of(upload) != proposal.tx.txid():
        return upload if isinstance(upload, PSBT) else _bare(upload)
    signed = PSBT.parse(proposal.serialize())
    spend_path = wallet.path(path)
    for i, (scope, coin) in enumerate(zip(signed.inputs, inputs, strict=True)):
        if isinstance(upload, Transaction):
            items, given = list(upload.vin[i].witness.items), None
        else:
            given = upload.inputs[i]
            items = list(given.final_scriptwitness.items) if given.final_scriptwitness else []
        if given is not None and not items:  # this input is not finalised: its partial signatures as they are
            scope.partial_sigs.update(given.partial_sigs)
            scope.taproot_sigs.update(given.taproot_sigs)
            continue
        if not items:
            return f"input {i} of the transaction carries no witness: it is not signed"
        if wallet.is_taproot:
            found_tap = _tap_sigs(wallet, i, coin, items, spend_path)
            if isinstance(found_tap, str):
                return found_tap
            scope.taproot_sigs.update(found_tap)
        else:
            found = _wsh_sigs(wallet, signed.tx, i, coin, items, spend_path)
            if isinstance(found, str):
                return found
            scope.partial_sigs.update(found)
    return signed
