"""BIP-322's two virtual transactions: to_spend commits to the message, to_sign spends it and carries the proof."""

from __future__ import annotations

import hashlib

from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

TAG = b"BIP0322-signed-message"


def message_hash(message: bytes) -> bytes:
    tag = hashlib.sha256(TAG).digest()
    return hashlib.sha256(tag + tag + message).digest()


def to_spend(message: bytes, script_pubkey: Script) -> Transaction:
    script_sig = Script(b"\x00\x20" + message_hash(message))
    vin = TransactionInput(b"\x00" * 32, 0xFFFFFFFF, script_sig=script_sig, sequence=0)
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, script_pubkey)], locktime=0)


def to_sign(spend: Transaction, witness: Witness | None = None) -> Transaction:
    vin = TransactionInput(spend.txid(), 0, sequence=0, witness=witness or Witness([]))
    return Transaction(version=0, vin=[vin], vout=[TransactionOutput(0, Script(b"\x6a"))], locktime=0)


def check_to_sign(tx: Transaction, spend: Transaction) -> str | None:
    """Why `tx` is not a to_sign of `spend` (version, first input, single OP_RETURN output), or None."""
    if tx.version != 0 and tx.version != 2:
        return "to_sign must have version 0 or 2"
    if not tx.vin or tx.vin[0].txid != spend.txid() or tx.vin[0].vout != 0:
        return "invalid signature: the first input does not spend this message's to_spend (another message or address)"
    if len(tx.vout) != 1 or tx.vout[0].value != 0 or tx.vout[0].script_pubkey.data != b"\x6a":
        return "to_sign must have a single OP_RETURN output of 0"
    return None
