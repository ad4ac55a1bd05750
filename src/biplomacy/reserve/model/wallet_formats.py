"""Wallet setup files signers' wallets import, written from a reserve wallet and read back into a descriptor.

- **electrum**: an Electrum 4 wallet file (JSON storage, `wallet_type` "MofN", one BIP-32 keystore per signer
  under "x1/".."xN/" with its Vpub/Zpub, derivation and root fingerprint; seed_version 50 as Electrum 4.3
  writes it). Electrum picks the script from the key's prefix, so the keys are SLIP-132 Zpub/Vpub (native
  P2WSH); Electrum always sorts the keys, so only sortedmulti wallets export.
- **sparrow**: the wallet JSON Specter Desktop exports and Sparrow imports ("label", "blockheight",
  "descriptor" with its receive path /0/* and checksum, "devices").
- **coldcard**: Coldcard's multisig setup file ("Name:", "Policy: M of N", "Derivation:", "Format: P2WSH",
  then "XFP: xpub" lines), the file its SD card import reads.
- **bsms**: a BIP-129 descriptor record, unencrypted (token 00): "BSMS 1.0", the descriptor template with
  /** keys, the path restrictions "/0/*,/1/*", the first address, which the importer checks. A policy with
  recovery paths keeps its further keys' /<2;3>/* as they are (BIP-389 has /** for <0;1> only).
- **descriptor**: the multipath descriptor itself, with each path in words as comments (Liana, Bitcoin Core).
Electrum, Coldcard's multisig file and Sparrow/Specter have no timelocked paths: a wallet with recovery paths is
refused in those formats, by name.

Reading takes those, a plain descriptor (Sparrow's "output descriptor" export, '#' comment lines allowed) and
Electrum files whose keystores are hardware wallets'; each refusal names what is wrong with the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from embit import base58
from embit.descriptor.checksum import checksum as bip380_checksum

from biplomacy.core.errors import InputError
from biplomacy.reserve.model.descriptors import KEY_VERSIONS, WalletDescriptor, electrum_xpub

FORMATS = ("electrum", "sparrow", "coldcard", "bsms", "descriptor")
ELECTRUM_SEED_VERSION = 50  # FINAL_SEED_VERSION of Electrum 4.3 (electrum/wallet_db.py)
COLDCARD_NAME_MAX = 20  # characters of a multisig wallet's name on a Coldcard
_KEY_TEXT = re.compile(r"\[[0-9a-fA-F]{8}(?:/\d+[hH']?)*\][1-9A-HJ-NP-Za-km-z]+")


@dataclass(frozen=True, slots=True)
class SetupRead:
    """What a setup file says: the descriptor to import, the format it came in, and the first receive address
    it states (BSMS states one; None otherwise)."""

    descriptor: str
    format: str
    first_address: str | None = None


def _origin_path(origin: str) -> str:
    return origin.replace("m/", "", 1).replace("h", "'")


def _keys(wallet: WalletDescriptor) -> list[tuple[str, str, str]]:
    return [(k.fingerprint, k.origin_path, k.xpub) for k in wallet.keys]


def _template(wallet: WalletDescriptor, suffix: str) -> str:
    """The wallet's descriptor body with every key's `/<0;1>/*` replaced by `suffix`."""
    body = wallet.text.partition("#")[0]
    return body.replace("/<0;1>/*", suffix)


def _refuse_recovery(wallet: WalletDescriptor, fmt: str, why: str) -> None:
    if wallet.has_recovery:
        raise InputError(f"a wallet with recovery paths (timelocked miniscript) cannot be exported as {fmt}: {why}; "
                         "use --format bsms or --format descriptor with a wallet that reads miniscript (Liana, "
                         "Bitcoin Core 26 or later, Nunchuk)", field="format")


def _refuse_unless_p2wsh_sorted(wallet: WalletDescriptor, fmt: str, why: str) -> None:
    _refuse_recovery(wallet, fmt, f"{why} has multisig wallets only, no timelocked paths")
    if wallet.is_taproot:
        raise InputError(f"a taproot multisig wallet cannot be exported as {fmt}: {why} has no taproot multisig; "
                         "use --format bsms or sparrow (descriptors) with a wallet that supports it", field="format")
    if not wallet.sorted_keys:
        raise InputError(f"a multi() wallet (keys in a fixed order) cannot be exported as {fmt}: {why} sorts the "
                         "keys (sortedmulti)", field="format")


def export_electrum(wallet: WalletDescriptor, name: str) -> str:
    """The watch-only Electrum wallet file of the multisig (each cosigner's key as Electrum shows it: Vpub/Zpub)."""
    _refuse_unless_p2wsh_sorted(wallet, "electrum", "Electrum 4")
    doc: dict[str, Any] = {"wallet_type": f"{wallet.threshold}of{len(wallet.keys)}", "use_encryption": False,
                           "seed_version": ELECTRUM_SEED_VERSION, "labels": {}, "addr_history": {}}
    for i, (fp, origin, xpub) in enumerate(_keys(wallet), start=1):
        doc[f"x{i}/"] = {"type": "bip32", "pw_hash_version": 1, "xpub": electrum_xpub(xpub), "xprv": None,
                         "derivation": origin, "root_fingerprint": fp, "label": f"{name} signer {fp}"}
    return json.dumps(doc, indent=4, sort_keys=True) + "\n"


def export_sparrow(wallet: WalletDescriptor, name: str) -> str:
    """Specter Desktop's wallet JSON, which Sparrow's File > Import Wallet reads (Specter Desktop format)."""
    _refuse_recovery(wallet, "sparrow", "Sparrow and Specter Desktop import multisig and single-key wallets, not "
                                        "timelocked recovery paths")
    receive = _template(wallet, "/0/*")
    doc = {"label": name, "blockheight": 0, "descriptor": f"{receive}#{bip380_checksum(receive)}",
           "devices": [{"type": "other", "label": f"{name} signer {fp}"} for fp, _, _ in _keys(wallet)]}
    return json.dumps(doc, indent=2) + "\n"


def export_coldcard(wallet: WalletDescriptor, name: str) -> str:
    """Coldcard's multisig setup file: a Derivation line before each key whose path differs from the last."""
    _refuse_unless_p2wsh_sorted(wallet, "coldcard", "Coldcard's P2WSH multisig")
    if len(name) > COLDCARD_NAME_MAX:
        raise InputError(f"a Coldcard names a multisig wallet in at most {COLDCARD_NAME_MAX} characters; "
                         f"{name!r} has {len(name)}", field="name")
    lines = [f"# Coldcard multisig setup file: reserve wallet {name} ({wallet.network})", "#",
             f"Name: {name}", f"Policy: {wallet.threshold} of {len(wallet.keys)}", "Format: P2WSH", ""]
    last = None
    for fp, origin, xpub in _keys(wallet):
        if origin != last:
            lines.append(f"Derivation: {origin}")
            last = origin
        lines.append(f"{fp.upper()}: {xpub}")
    return "\n".join(lines) + "\n"


def export_bsms(wallet: WalletDescriptor) -> str:
    """BIP-129's descriptor record, unencrypted: version, template, path restrictions, first address."""
    return "\n".join(["BSMS 1.0", _template(wallet, "/**"), "/0/*,/1/*", wallet.address(0)]) + "\n"


def export_descriptor(wallet: WalletDescriptor, name: str) -> str:
    """The multipath descriptor with its checksum and, as comments, what it is and each path in words: what Liana
    (Import wallet > descriptor) and Bitcoin Core 26+ (importdescriptors, once per branch) take, and our import."""
    lines = [f"# Reserve wallet {name} ({wallet.network}): watch-only descriptor, BIP-380 checksum",
             *(f"# {p.words()}" for p in wallet.spend_paths), f"# first receive address: {wallet.address(0)}",
             wallet.text]
    return "\n".join(lines) + "\n"


def export(wallet: WalletDescriptor, name: str, fmt: str) -> str:
    if fmt == "electrum":
        return export_electrum(wallet, name)
    if fmt == "sparrow":
        return export_sparrow(wallet, name)
    if fmt == "coldcard":
        return export_coldcard(wallet, name)
    if fmt == "bsms":
        return export_bsms(wallet)
    if fmt == "descriptor":
        return export_descriptor(wallet, name)
    raise InputError(f"format {fmt[:20]!r} is not one of {', '.join(FORMATS)}", field="format")


def _multipath(descriptor: str, where: str) -> str:
    """A descriptor whose keys all end in /0/* (a receive descriptor) or /** (a BIP-129 template) written with
    the receive/change multipath `/<0;1>/*` the importer takes; checksums are checked against what was given."""
    body, _, given = descriptor.strip().partition("#")
    if given and bip380_checksum(body) != given:
        raise InputError(f"{where}: the descriptor's BIP-380 checksum does not match; it was altered or mistyped",
                         field="file")
    if "/**" in body:  # BIP-389: /** is /<0;1>/* (a recovery key's /<2;3>/* is written out as it is)
        return body.replace("/**", "/<0;1>/*")
    keys = _KEY_TEXT.findall(body)
    if keys and all(body.count(k + "/0/*") for k in keys):
        return body.replace("/0/*", "/<0;1>/*")
    return body


def _electrum(doc: dict[str, Any]) -> str:
    m = re.fullmatch(r"(\d+)of(\d+)", str(doc.get("wallet_type", "")))
    if not m:
        raise InputError(f"the Electrum wallet file is a {str(doc.get('wallet_type'))[:20]!r} wallet, not a "
                         "multisig (wallet_type MofN)", field="file")
    threshold, n = int(m[1]), int(m[2])
    keys = []
    for i in range(1, n + 1):
        store = doc.get(f"x{i}/")
        if not isinstance(store, dict):
            raise InputError(f"the Electrum wallet file lacks cosigner x{i}/", field="file")
        if store.get("xprv"):
            raise InputError(f"cosigner x{i}/ of the Electrum wallet file holds a private key (xprv); import a "
                             "watch-only copy: nothing was stored", field="file")
        xpub, fp, path = store.get("xpub"), store.get("root_fingerprint"), store.get("derivation")
        if store.get("type") not in ("bip32", "hardware") or not xpub or not fp or not path:
            raise InputError(f"cosigner x{i}/ of the Electrum wallet file has no xpub with its root fingerprint "
                             "and derivation (restore the cosigner from its device or an xpub with origin)",
                             field="file")
        version = KEY_VERSIONS.get(base58.decode_check(str(xpub))[:4]) if _is_base58(str(xpub)) else None
        if version is not None and version.script == "any":
            raise InputError(f"cosigner x{i}/ is a {version.prefix}: Electrum makes such a multisig a legacy P2SH "
                             "wallet; the reserve is native P2WSH, whose cosigners Electrum shows as Zpub/Vpub",
                             field="file")
        keys.append(f"[{fp}/{_origin_path(str(path))}]{xpub}/<0;1>/*")
    return f"wsh(sortedmulti({threshold},{','.join(keys)}))"


def _is_base58(text: str) -> bool:
    try:
        base58.decode_check(text)
    except Exception:  # noqa: BLE001 - not base58check
        return False
    return True


def _coldcard(text: str) -> str:
    fields: dict[str, str] = {}
    keys: list[str] = []
    path = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or ":" not in line:
            continue
        label, value = (part.strip() for part in line.split(":", 1))
        if label.lower() == "derivation":
            path = value
        elif re.fullmatch(r"[0-9a-fA-F]{8}", label):
            if path is None:
                raise InputError(f"the Coldcard file gives key {label} before any Derivation line", field="file")
            keys.append(f"[{label.lower()}/{_origin_path(path)}]{value}/<0;1>/*")
        else:
            fields[label.lower()] = value
    policy = re.fullmatch(r"(\d+)\s*of\s*(\d+)", fields.get("policy", ""))
    if policy is None:
        raise InputError("the Coldcard file has no 'Policy: M of N' line", field="file")
    fmt = fields.get("format", "P2SH").upper()
    if fmt != "P2WSH":
        raise InputError(f"the Coldcard file's wallet is {fmt}; the reserve imports native P2WSH multisig "
                         "(Format: P2WSH)", field="file")
    if int(policy[2]) != len(keys):
        raise InputError(f"the Coldcard file says {policy[0]} but lists {len(keys)} keys", field="file")
    return f"wsh(sortedmulti({policy[1]},{','.join(keys)}))"


def _bsms(lines: list[str]) -> SetupRead:
    if len(lines) < 4:
        raise InputError("a BSMS descriptor record has 4 lines: BSMS 1.0, the descriptor, the path restrictions "
                         "and the first address", field="file")
    version, template, restrictions, first = lines[:4]
    if version != "BSMS 1.0":
        raise InputError(f"BSMS version {version[:20]!r} is not supported (BSMS 1.0 is)", field="file")
    if "/**" in template and restrictions.replace(" ", "") != "/0/*,/1/*":
        raise InputError(f"BSMS path restrictions {restrictions[:40]!r}: the reserve takes /0/*,/1/* (receive and "
                         "change)", field="file")
    return SetupRead(_multipath(template, "BSMS record"), "bsms", first.strip())


def read_setup(data: bytes) -> SetupRead:
    """The descriptor a setup file describes; InputError naming the format and what is wrong with it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the setup file is not text (UTF-8): expected an Electrum wallet file, a Sparrow/Specter "
                         "JSON, a Coldcard setup file, a BSMS record or a descriptor", field="file") from None
    stripped = text.strip()
    if stripped.startswith("BIE1") or (re.fullmatch(r"[0-9a-fA-F]{64,}", stripped) is not None):
        raise InputError("the setup file is encrypted (an Electrum wallet with a password, or an encrypted BSMS "
                         "record): export it without encryption (BSMS token 00) and import that", field="file")
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError:
            raise InputError("the setup file looks like JSON but does not parse", field="file") from None
        if not isinstance(doc, dict):
            raise InputError("the JSON setup file is not an object", field="file")
        if "wallet_type" in doc:
            return SetupRead(_electrum(doc), "electrum")
        if isinstance(doc.get("descriptor"), str):
            return SetupRead(_multipath(doc["descriptor"], "the wallet JSON"), "sparrow")
        raise InputError("the JSON setup file is neither an Electrum wallet file (wallet_type) nor a "
                         "Sparrow/Specter wallet (descriptor)", field="file")
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if lines and lines[0].startswith("BSMS"):
        return _bsms(lines)
    if re.search(r"^\s*Policy\s*:", stripped, re.MULTILINE | re.IGNORECASE):
        return SetupRead(_coldcard(stripped), "coldcard")
    descriptors = [line for line in lines if not line.startswith("#") and "(" in line]
    if descriptors:
        return SetupRead(_multipath(descriptors[0], "the descriptor file"), "descriptor")
    raise InputError("the setup file is none of: an Electrum wallet file, a Sparrow/Specter wallet JSON, a "
                     "Coldcard multisig setup file, a BSMS record, or a descriptor", field="file")
