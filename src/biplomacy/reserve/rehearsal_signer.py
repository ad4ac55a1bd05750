"""A signer's key for rehearsals, and signing a rehearsal PSBT with it (embit), so that a signer without a wallet
at hand can rehearse. Real signing happens in the signer's own wallet (docs/signers.md); this refuses mainnet:
a deployment on Bitcoin's main chain, a mainnet key (xprv) or a PSBT whose keys are on mainnet's coin type.

A key file holds one BIP-32 testnet root key (tprv...) and nothing else; the demo's five signers use the public
seeds SHA-256("biplomacy rehearsal signer <institution>") (data/demo/reserve-rehearsal.toml).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from embit import bip32
from embit.networks import NETWORKS
from embit.psbt import PSBT

from biplomacy.core.errors import ConfigError, InputError
from biplomacy.core.networks import is_rehearsal
from biplomacy.reserve.model.psbt_format import check_psbt_bytes
from biplomacy.reserve.results import RehearsalKey, RehearsalSignature

ORIGIN = "m/48h/1h/0h/2h"  # BIP-48 multisig, P2WSH, coin type 1 (every test network)
DEMO_INSTITUTIONS = ("finance-ministry", "central-bank", "crypto-council", "regulator", "custodian")
HARDENED = 0x80000000


def refuse_mainnet(network: str) -> None:
    if not is_rehearsal(network):
        raise ConfigError("the rehearsal signer is for rehearsals only: this deployment is on Bitcoin's main chain "
                          "(network 'bitcoin'); sign real spends in your own wallet (docs/signers.md)")


def _describe(root: bip32.HDKey, where: str) -> RehearsalKey:
    account = root.derive(ORIGIN).to_public().to_string(version=NETWORKS["test"]["xpub"])
    fingerprint = root.my_fingerprint.hex()
    return RehearsalKey(fingerprint, account, f"[{fingerprint}/48h/1h/0h/2h]{account}/<0;1>/*", where)


def demo_key(institution: str) -> bip32.HDKey:
    if institution not in DEMO_INSTITUTIONS:
        raise InputError(f"{institution!r} is not one of the demo's signers ({', '.join(DEMO_INSTITUTIONS)})",
                         field="institution")
    seed = hashlib.sha256(f"biplomacy rehearsal signer {institution}".encode()).digest()
    return bip32.HDKey.from_seed(seed, version=NETWORKS["test"]["xprv"])


def new_key(network: str, out: Path) -> RehearsalKey:
    """A fresh random rehearsal key written to `out` (readable by its owner only); refuses to overwrite a file."""
    refuse_mainnet(network)
    root = bip32.HDKey.from_seed(secrets.token_bytes(32), version=NETWORKS["test"]["xprv"])
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{out}: already exists; a key file is never overwritten", field="out") from None
    except OSError as exc:
        raise InputError(f"{out}: cannot be written ({exc.strerror})", field="out") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(root.to_string() + "\n")
    return _describe(root, str(out))


def load_key(path: Path) -> bip32.HDKey:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})", field="key") from None
    if text.startswith("xprv"):
        raise InputError(f"{path}: a mainnet key (xprv); the rehearsal signer takes testnet keys (tprv) only",
                         field="key")
    try:
        key = bip32.HDKey.from_string(text)
    except Exception:  # noqa: BLE001 - embit raises several kinds for a malformed key
        raise InputError(f"{path}: not a BIP-32 private key (tprv...); make one with `biplomacy reserve "
                         "rehearsal-signer new --out KEYFILE`", field="key") from None
    if not key.is_private or key.depth != 0:
        raise InputError(f"{path}: give the root private key (tprv at depth 0), not an account or public key",
                         field="key")
    return key


def describe(network: str, key: bip32.HDKey, where: str) -> RehearsalKey:
    refuse_mainnet(network)
    return _describe(key, where)


def _read_psbt(path: Path) -> PSBT:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})", field="psbt") from None
    if not raw.startswith(b"psbt\xff"):
        try:
            raw = base64.b64decode(b"".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{path}: not a PSBT (binary, or base64 as `spend propose` prints it)", field="psbt") \
                from None
    check_psbt_bytes(raw)
    return PSBT.parse(raw)


def sign(network: str, key: bip32.HDKey, psbt_file: Path, out: Path) -> RehearsalSignature:
    """Sign every input `key` has a derivation in; refuses a PSBT with keys on mainnet's coin type (0h)."""
    refuse_mainnet(network)
    psbt = _read_psbt(psbt_file)
    for i, inp in enumerate(psbt.inputs):
        for derivation in inp.bip32_derivations.values():
            path = derivation.derivation
            if len(path) >= 2 and path[1] == HARDENED:  # m/48h/0h/...: a mainnet wallet's key
                raise InputError(f"input {i} is spent by a mainnet wallet's key (coin type 0h): the rehearsal "
                                 "signer signs rehearsal PSBTs only", field="psbt")
    signed = psbt.sign_with(key)
    if signed == 0:
        raise InputError(f"key {key.my_fingerprint.hex()} signs none of the PSBT's inputs: is it one of the "
                         "wallet's signers?", field="key")
    text = psbt.to_base64()
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot be written ({exc.strerror})", field="out") from None
    return RehearsalSignature(key.my_fingerprint.hex(), signed, str(out))
