"""BIP-322 proof of funds given as a finalized PSBT: the message input and every proven coin are checked offline.

What an offline check cannot tell is whether the coins exist unspent; `verify_statement` checks that against
chain data the verifier supplies.
"""

from __future__ import annotations

from io import BytesIO

from embit import compact
from embit.psbt import PSBT
from embit.script import Script, Witness
from embit.transaction import Transaction

from biplomacy.reserve.bip322.inputs import Outcome, verify_input
from biplomacy.reserve.bip322.transactions import check_to_sign


def unsigned_tx(raw: bytes) -> Transaction:
    """The unsigned transaction of a version-0 PSBT, read from its global map as serialised.

    embit's PSBT.tx rebuilds it and turns an input's nSequence of 0 into 0xFFFFFFFF, which changes every sighash.
    """
    stream = BytesIO(raw[5:])
    while True:
        key = stream.read(compact.read_from(stream))
        value = stream.read(compact.read_from(stream))
        if not key:
            raise ValueError("the PSBT has no unsigned transaction")
        if key == b"\x00":
            return Transaction.parse(value)


def finalized_tx(psbt: PSBT, raw: bytes) -> Transaction:
    """The PSBT's transaction with each input's final scriptSig and witness in place."""
    tx = unsigned_tx(raw)
    for vin, scope in zip(tx.vin, psbt.inputs, strict=True):
        vin.script_sig = scope.final_scriptsig or Script(b"")
        vin.witness = scope.final_scriptwitness or Witness([])
    return tx


def verify_pof_psbt(raw: bytes, spend: Transaction, spk: Script) -> tuple[Outcome, Transaction | None]:
    """(valid, reason, conclusive) of a `pof` PSBT for the message committed to by `spend`, and its to_sign."""
    try:
        psbt = PSBT.parse(raw)
        tx = finalized_tx(psbt, raw)
    except Exception as exc:  # embit parse errors
        return (False, f"error parsing signature as a proof-of-funds PSBT ({type(exc).__name__})", True), None
    problem = check_to_sign(tx, spend)
    if problem:
        return (False, problem, True), tx
    spks, values = [spk], [0]
    known = {s.non_witness_utxo.txid(): s.non_witness_utxo for s in psbt.inputs if s.non_witness_utxo is not None}
    for i, scope in enumerate(psbt.inputs[1:], start=1):
        try:
            utxo = scope.utxo
        except Exception:  # a non_witness_utxo of another transaction
            utxo = None
        if utxo is None:  # the previous transaction may be given once, on another input spending it
            prev = known.get(scope.txid)
            utxo = prev.vout[scope.vout] if prev is not None and scope.vout < len(prev.vout) else None
        if utxo is None:
            return (False, f"input {i}: the PSBT does not give the coin it spends (amount and script)", False), tx
        spks.append(utxo.script_pubkey)
        values.append(utxo.value)
    for i in range(len(tx.vin)):
        ok, why, conclusive = verify_input(tx, i, spks, values)
        if not ok:
            return (False, (f"input {i}: {why}" if i else why), conclusive), tx
    return (True, "", True), tx
