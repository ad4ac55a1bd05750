"""Signed spends of every script type a reserve meets, built and signed with embit, for the node-rules tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from embit import ec, hashes
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput
from embit.util import secp256k1

from biplomacy.reserve.model.descriptors import NUMS_H
from biplomacy.reserve.rehearsal.model import consensus as rc

VALUE = 100_000
FEE = 2_000
PAY_TO = Script(b"\x00\x14" + bytes(range(20)))  # a standard P2WPKH output


def key(label: str) -> ec.PrivateKey:
    return ec.PrivateKey(hashlib.sha256(label.encode()).digest())


def hash160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def push(data: bytes) -> bytes:
    return bytes([len(data)]) + data


def _ecdsa(k: ec.PrivateKey, msg: bytes) -> bytes:
    return k.sign(msg).serialize() + bytes([SIGHASH.ALL])


@dataclass
class Spend:
    """A funding output of some script type and a transaction spending it, signed by `sign`."""

    kind: str
    script: bytes
    sign: Callable[[Transaction], None]
    value: int = VALUE

    def funding(self, nonce: int) -> Transaction:
        return rc.faucet_tx(self.script, self.value, nonce)

    def spend(self, nonce: int, sequence: int = 0xFFFFFFFD, locktime: int = 0, version: int = 2,
              outputs: list[TransactionOutput] | None = None) -> Transaction:
        outs = [TransactionOutput(self.value - FEE, PAY_TO)] if outputs is None else outputs
        tx = Transaction(version=version, vin=[TransactionInput(self.funding(nonce).txid(), 0, sequence=sequence)],
                         vout=outs, locktime=locktime)
        self.sign(tx)
        return tx

    def prevout(self, nonce: int, height: int | None = 1) -> dict[tuple[str, int], rc.Prevout]:
        return {(self.funding(nonce).txid().hex(), 0): rc.Prevout(self.script, self.value, None, height)}


def p2wpkh() -> Spend:
    k = key("p2wpkh")
    pub = k.get_public_key().sec()
    code = Script(b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac")

    def sign(tx: Transaction) -> None:
        tx.vin[0].witness = Witness([_ecdsa(k, tx.sighash_segwit(0, code, VALUE, SIGHASH.ALL)), pub])
    return Spend("p2wpkh", b"\x00\x14" + hash160(pub), sign)


def p2pkh() -> Spend:
    k = key("p2pkh")
    pub = k.get_public_key().sec()
    spk = b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac"

    def sign(tx: Transaction) -> None:
        sig = _ecdsa(k, tx.sighash_legacy(0, Script(spk), SIGHASH.ALL))
        tx.vin[0].script_sig = Script(push(sig) + push(pub))
    return Spend("p2pkh", spk, sign)


def p2sh_p2wpkh() -> Spend:
    k = key("p2sh-p2wpkh")
    pub = k.get_public_key().sec()
    redeem = b"\x00\x14" + hash160(pub)
    code = Script(b"\x76\xa9\x14" + hash160(pub) + b"\x88\xac")

    def sign(tx: Transaction) -> None:
        tx.vin[0].script_sig = Script(push(redeem))
        tx.vin[0].witness = Witness([_ecdsa(k, tx.sighash_segwit(0, code, VALUE, SIGHASH.ALL)), pub])
    return Spend("p2sh-p2wpkh", b"\xa9\x14" + hash160(redeem) + b"\x87", sign)


def p2wsh_multisig() -> Spend:
    keys = [key(f"p2wsh-{i}") for i in range(3)]
    pubs = sorted(k.get_public_key().sec() for k in keys)
    by_pub = {k.get_public_key().sec(): k for k in keys}
    wscript = b"\x52" + b"".join(push(p) for p in pubs) + b"\x53\xae"

    def sign(tx: Transaction) -> None:
        msg = tx.sighash_segwit(0, Script(wscript), VALUE, SIGHASH.ALL)
        tx.vin[0].witness = Witness([b"", *(_ecdsa(by_pub[p], msg) for p in pubs[:2]), wscript])
    return Spend("p2wsh multisig", b"\x00\x20" + hashlib.sha256(wscript).digest(), sign)


def p2wsh_checksig() -> Spend:
    k = key("p2wsh-single")
    wscript = push(k.get_public_key().sec()) + b"\xac"

    def sign(tx: Transaction) -> None:
        msg = tx.sighash_segwit(0, Script(wscript), VALUE, SIGHASH.ALL)
        tx.vin[0].witness = Witness([_ecdsa(k, msg), wscript])
    return Spend("p2wsh checksig", b"\x00\x20" + hashlib.sha256(wscript).digest(), sign)


def p2tr_key_path() -> Spend:
    k = key("p2tr-key").taproot_tweak(b"")
    spk = b"\x51\x20" + k.get_public_key().xonly()

    def sign(tx: Transaction) -> None:
        msg = tx.sighash_taproot(0, [Script(spk)], [VALUE], sighash=SIGHASH.DEFAULT)
        tx.vin[0].witness = Witness([k.schnorr_sign(msg).serialize()])
    return Spend("p2tr key path", spk, sign)


def p2tr_script_path() -> Spend:
    k = key("p2tr-leaf")
    leaf = push(k.get_public_key().xonly()) + b"\xac"
    leaf_hash = hashes.tagged_hash("TapLeaf", b"\xc0" + push(leaf))
    h = bytes.fromhex(NUMS_H)
    q = secp256k1.ec_pubkey_serialize(secp256k1.ec_pubkey_add(secp256k1.ec_pubkey_parse(b"\x02" + h),
                                                              hashes.tagged_hash("TapTweak", h + leaf_hash)))
    spk = b"\x51\x20" + q[1:]
    control = bytes([0xC0 | (q[0] & 1)]) + h

    def sign(tx: Transaction) -> None:
        msg = tx.sighash_taproot(0, [Script(spk)], [VALUE], sighash=SIGHASH.DEFAULT, ext_flag=1, script=Script(leaf))
        tx.vin[0].witness = Witness([k.schnorr_sign(msg).serialize(), leaf, control])
    return Spend("p2tr script path", spk, sign)


ALL = (p2wpkh, p2pkh, p2sh_p2wpkh, p2wsh_multisig, p2wsh_checksig, p2tr_key_path, p2tr_script_path)
