"""Watch-only multisig descriptors: import with every problem reported at once, derive addresses and key paths.

A reserve wallet is `wsh(sortedmulti(M, [fp/48h/1h/0h/2h]xpub/<0;1>/*, ...))#checksum`, or the taproot
`tr(H, sortedmulti_a(M, ...))` / `tr(H, multi_a(M, ...))` whose internal key is BIP-341's unspendable NUMS point
H (so the M-of-N script path is the only way to spend). BDK parses and derives (it is the reference
implementation); bdkpython 3.1 cannot parse `sortedmulti_a`, so a taproot sortedmulti_a address is BDK's
derivation of `tr(H, multi_a(M, keys at that index sorted))`, which is what sortedmulti_a means (BIP-387).
embit decodes the extended keys so that we can name the signer whose key is on the wrong network, and builds
the per-key BIP-32 paths a PSBT needs. Private key material is refused before any parser sees it, and never
quoted back. Taproot wallets import, derive, sync, spend and sign reserve statements by their one script leaf
(reserve/taproot_spend.py: leaf script, control block, BIP-371 PSBT fields, Schnorr checks, the multi_a witness).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

import bdkpython as bdk
from embit import base58, bip32
from embit.descriptor import Descriptor as EmbitDescriptor
from embit.descriptor.checksum import checksum as bip380_checksum
from embit.script import Script, address_to_scriptpubkey

from biplomacy.core.errors import InputError, Issue
from biplomacy.core.networks import bdk_network, embit_network
from biplomacy.reserve.model import policy_shape

MAX_SIGNERS = 15  # P2WSH standardness: sortedmulti up to 15 keys under the 3,600-byte witness script limit
# Bitcoin Core's descriptor parser allows at most 999 keys in multi_a (MAX_PUBKEYS_PER_MULTI_A, script/script.h,
# read 2026-11-23); BIP-342 has no key count limit of its own.
MAX_TAPROOT_SIGNERS = 999
# BIP-341 "Constructing and spending Taproot outputs": H = lift_x(0x50929b74...3ac0), a point nobody knows the
# discrete logarithm of: an output with internal key H cannot be spent by the key path.
NUMS_H = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """What an extended public key's version bytes say (BIP-32, SLIP-132): its prefix, network family, and the
    script it is meant for ("any" for xpub/tpub, which descriptors give their script)."""

    prefix: str
    family: str  # "bitcoin" or "test"
    script: str  # "any", "wsh-multi", "sh-wsh-multi", "wpkh", "sh-wpkh"


# SLIP-132 (https://github.com/satoshilabs/slips/blob/master/slip-0132.md, read 2026-11-24): the version bytes
# wallets such as Electrum write, with the script each prefix stands for.
KEY_VERSIONS = {bytes.fromhex(v): KeyVersion(p, f, k) for v, p, f, k in (
    ("0488b21e", "xpub", "bitcoin", "any"), ("043587cf", "tpub", "test", "any"),
    ("02aa7ed3", "Zpub", "bitcoin", "wsh-multi"), ("02575483", "Vpub", "test", "wsh-multi"),
    ("0295b43f", "Ypub", "bitcoin", "sh-wsh-multi"), ("024289ef", "Upub", "test", "sh-wsh-multi"),
    ("04b24746", "zpub", "bitcoin", "wpkh"), ("045f1cf6", "vpub", "test", "wpkh"),
    ("049d7cb2", "ypub", "bitcoin", "sh-wpkh"), ("044a5262", "upub", "test", "sh-wpkh"))}
_PLAIN = {"bitcoin": bytes.fromhex("0488b21e"), "test": bytes.fromhex("043587cf")}
_ELECTRUM_WSH = {"bitcoin": bytes.fromhex("02aa7ed3"), "test": bytes.fromhex("02575483")}
_SCRIPT_WORDS = {"sh-wsh-multi": "multisig wrapped in P2SH (p2wsh-p2sh)", "wpkh": "single-signature P2WPKH",
                 "sh-wpkh": "single-signature P2WPKH wrapped in P2SH"}


def with_version(xpub: str, version: bytes) -> str:
    """The same extended key under other version bytes (e.g. a Vpub as the tpub descriptors use)."""
    raw = base58.decode_check(xpub)
    return base58.encode_check(version + raw[4:])


def plain_xpub(xpub: str) -> str:
    """The xpub/tpub form of an extended public key written in any SLIP-132 form."""
    return with_version(xpub, _PLAIN[KEY_VERSIONS[base58.decode_check(xpub)[:4]].family])


def electrum_xpub(xpub: str) -> str:
    """The form Electrum's multisig wizard asks for a native P2WSH cosigner: Zpub (mainnet) or Vpub (test)."""
    return with_version(xpub, _ELECTRUM_WSH[KEY_VERSIONS[base58.decode_check(xpub)[:4]].family])

_PRV_VERSIONS = {bytes.fromhex(v) for v in ("0488ade4", "04358394", "049d7878", "044a4e28", "04b2430c",
                                             "045f18bc", "0295b005", "024285b5", "02aa7a99", "02575048")}
_BASE58_TOKEN = re.compile(r"[1-9A-HJ-NP-Za-km-z]{50,112}")
_KEY = re.compile(r"^\[(?P<fp>[0-9a-fA-F]{8})(?P<path>(?:/\d+[hH']?)*)\](?P<xpub>[1-9A-HJ-NP-Za-km-z]+)"
                  r"/<(?P<receive>\d{1,4});(?P<change>\d{1,4})>/\*$")
_SHAPE = re.compile(r"^wsh\((?P<kind>sortedmulti|multi)\((?P<body>[^()]*)\)\)$")
_TR_SHAPE = re.compile(r"^tr\((?P<internal>[^,()]*),(?P<kind>sortedmulti_a|multi_a)\((?P<body>[^()]*)\)\)$")


def contains_private_key(text: str) -> bool:
    """True when `text` holds an extended private key (xprv, tprv, ...) or a WIF private key anywhere."""
    if re.search(r"[xtyzuvYZUV]prv[1-9A-HJ-NP-Za-km-z]{20,}", text):
        return True
    for token in _BASE58_TOKEN.findall(text):
        try:
            raw = base58.decode_check(token)
        except Exception:  # noqa: BLE001 - not a base58check token: not a key
            continue
        if len(raw) == 78 and raw[:4] in _PRV_VERSIONS:
            return True
        if raw[:1] in (b"\x80", b"\xef") and len(raw) in (33, 34):
            return True
    return False


@dataclass(frozen=True, slots=True)
class SignerKey:
    """One institution's key: master fingerprint, origin path and account xpub."""

    fingerprint: str
    origin_path: str  # e.g. "m/48h/1h/0h/2h"
    xpub: str
    branches: tuple[int, int] = (0, 1)  # the multipath <receive;change>: <0;1>, or <2;3>... for a recovery key

    @property
    def origin_indexes(self) -> list[int]:
        return bip32.parse_path(self.origin_path)

    @property
    def expression(self) -> str:
        """The key as a descriptor writes it: [fp/origin]xpub/<receive;change>/*."""
        return f"[{self.fingerprint}{self.origin_path[1:]}]{self.xpub}/<{self.branches[0]};{self.branches[1]}>/*"


@dataclass(frozen=True, slots=True)
class SpendPath:
    """One way to spend a reserve wallet's coins: `threshold` of `keys`, at any time (the primary path) or once a
    coin is `timelock_blocks` blocks old (a recovery path: a relative timelock, BIP-68/112)."""

    name: str  # "primary", "recovery", "recovery-2", ...
    threshold: int
    keys: tuple[SignerKey, ...]
    timelock_blocks: int | None = None

    @property
    def fingerprints(self) -> list[str]:
        return [k.fingerprint for k in self.keys]

    @property
    def is_recovery(self) -> bool:
        return self.timelock_blocks is not None

    @property
    def sequence(self) -> int:
        """The nSequence a spend by this path sets on every input: the timelock in blocks (BIP-68), or
        0xFFFFFFFD (no relative lock, replaceable) for the primary path."""
        return 0xFFFFFFFD if self.timelock_blocks is None else self.timelock_blocks

    def words(self) -> str:
        """The path in words, as the backup sheet and the public page show it."""
        who = f"any {self.threshold} of these {len(self.keys)} keys: {', '.join(self.fingerprints)}"
        if self.timelock_blocks is None:
            return f"{self.name}: {who}, at any time"
        return (f"{self.name}: {who}, once a coin has been in the wallet for "
                f"{policy_shape.timelock_words(self.timelock_blocks)} without moving (a relative timelock: moving the "
                "coin, e.g. by a refresh, starts it again)")


@dataclass(frozen=True, slots=True)
class KeyAt:
    """A signer's public key at one derived index, with its full BIP-32 path from the master."""

    fingerprint: str
    path: list[int]
    pubkey: bytes


@dataclass(frozen=True)
class WalletDescriptor:
    """A validated watch-only M-of-N descriptor (multipath receive/change), with its BIP-380 checksum."""

    text: str
    threshold: int
    keys: tuple[SignerKey, ...]
    network: str
    sorted_keys: bool = True
    script_type: str = "wsh"  # "wsh" (P2WSH multisig) or "tr" (taproot, NUMS internal key, multi_a leaf)
    # A policy with recovery paths (policy_shape.py): every path, the primary first, and the tree joining them in
    # script order. Then `threshold` and `keys` are the primary path's, `keys_at` gives the primary keys in script
    # order and `witness_script` the whole script, so that what speaks of the M-of-N speaks of the primary path.
    paths: tuple[SpendPath, ...] = ()
    tree: policy_shape.Tree = 0  # leaves are indexes into `paths`

    @property
    def is_taproot(self) -> bool:
        return self.script_type == "tr"

    @property
    def has_recovery(self) -> bool:
        return bool(self.paths)

    @property
    def fingerprints(self) -> list[str]:
        return [k.fingerprint for k in self.keys]

    @property
    def spend_paths(self) -> tuple[SpendPath, ...]:
        """Every way to spend, the primary first (a plain M-of-N wallet has the primary only)."""
        return self.paths or (SpendPath("primary", self.threshold, self.keys, None),)

    @property
    def all_fingerprints(self) -> list[str]:
        """Every signer of any path, each once, in the order the paths name them."""
        return list(dict.fromkeys(fp for p in self.spend_paths for fp in p.fingerprints))

    def path(self, name: str) -> SpendPath:
        """The path called `name`; InputError naming the wallet's paths otherwise."""
        for p in self.spend_paths:
            if p.name == name:
                return p
        raise InputError(f"this wallet has no path {name[:40]!r}; its paths: "
                         f"{', '.join(p.name for p in self.spend_paths)}", field="path")

    def path_keys_at(self, path: SpendPath, index: int, change: bool = False) -> list[KeyAt]:
        """The keys of one path at `index`, in script order (a policy's multi/multi_a keeps the given order)."""
        if not self.paths:
            return self.keys_at(index, change)
        return [KeyAt(k.fingerprint, k.origin_indexes + [k.branches[int(change)], index],
                      bip32.HDKey.from_string(k.xpub).derive([k.branches[int(change)], index]).key.sec())
                for k in path.keys]

    @cached_property
    def embit_policy(self) -> EmbitDescriptor:
        """embit's reading of a recovery policy (it compiles the witness script and the tap tree's leaves)."""
        return EmbitDescriptor.from_string(self.text.partition("#")[0])

    @cached_property
    def _bdk(self) -> tuple[bdk.Descriptor, bdk.Descriptor]:
        single = bdk.Descriptor(self.text, _bdk_kind(self.network)).to_single_descriptors()
        return single[0], single[1]

    @property
    def bdk_parses(self) -> bool:
        """Whether BDK can take the whole descriptor (a BDK wallet, an Electrum scan): not tr(sortedmulti_a)."""
        return not (self.is_taproot and self.sorted_keys)

    def leaf_descriptor(self, index: int, change: bool = False) -> str:
        """The taproot descriptor of one index, keys x-only and in script order: tr(H,multi_a(M,k1,...))."""
        keys = ",".join(k.pubkey[1:].hex() for k in self.keys_at(index, change))
        return f"tr({NUMS_H},multi_a({self.threshold},{keys}))"

    @cached_property
    def _hd(self) -> list[bip32.HDKey]:
        return [bip32.HDKey.from_string(k.xpub) for k in self.keys]

    def address(self, index: int, change: bool = False) -> str:
        """The receive (or change) address at `index`, derived by BDK."""
        if not self.bdk_parses:
            single = bdk.Descriptor(self.leaf_descriptor(index, change), _bdk_kind(self.network))
            return str(single.derive_address(0, bdk_network(self.network)))
        return str(self._bdk[1 if change else 0].derive_address(index, bdk_network(self.network)))

    def keys_at(self, index: int, change: bool = False) -> list[KeyAt]:
        """Each signer's public key at `index` (compressed), in the order the script puts them: sortedmulti
        sorts the compressed keys, sortedmulti_a the x-only keys (BIP-387); the primary path of a recovery policy
        keeps the order its multi/multi_a gives."""
        out = [KeyAt(k.fingerprint, k.origin_indexes + [k.branches[int(change)], index],
                     hd.derive([k.branches[int(change)], index]).key.sec())
               for k, hd in zip(self.keys, self._hd, strict=True)]
        if not self.sorted_keys:
            return out
        return sorted(out, key=(lambda a: a.pubkey[1:]) if self.is_taproot else (lambda a: a.pubkey))

    def witness_script(self, index: int, change: bool = False) -> bytes:
        if self.is_taproot:
            raise ValueError("a taproot wallet has no witness script: its inputs carry a script leaf and control "
                             "block (reserve/taproot_spend.py)")
        if self.paths:  # the whole policy's script, compiled by embit (BDK derives the same address: tests)
            return bytes(self.embit_policy.derive(index, branch_index=int(change)).witness_script().data)
        keys = self.keys_at(index, change)
        m, n = self.threshold, len(keys)
        body = bytes([0x50 + m]) + b"".join(bytes([33]) + k.pubkey for k in keys) + bytes([0x50 + n, 0xAE])
        return body

    def script_pubkey(self, index: int, change: bool = False) -> bytes:
        if self.is_taproot:
            return bytes(address_to_scriptpubkey(self.address(index, change)).data)
        return b"\x00\x20" + hashlib.sha256(self.witness_script(index, change)).digest()

    def address_embit(self, index: int, change: bool = False) -> str:
        """The same address derived independently (embit), for cross-checks."""
        if self.is_taproot:
            derived = EmbitDescriptor.from_string(self.text.partition("#")[0]).derive(index, branch_index=int(change))
            return str(derived.address(embit_network(self.network)))
        return Script(self.script_pubkey(index, change)).address(embit_network(self.network))


def _bdk_kind(network: str) -> bdk.NetworkKind:
    return bdk.NetworkKind.MAIN if network == "bitcoin" else bdk.NetworkKind.TEST


def key_issues(i: int, raw: str, network: str, script_type: str,
                where: str = "descriptor.keys", recovery: bool = False) -> tuple[SignerKey | None, list[Issue]]:
    path = f"{where}[{i}]"
    m = _KEY.match(raw.strip())
    want = "<0;1>" if not recovery else "<0;1> (or <2;3>, <4;5>... for a signer's key in a second path)"
    if not m or (not recovery and (m["receive"], m["change"]) != ("0", "1")):
        return None, [Issue("descriptor.key", path, f"expected [fingerprint/origin/path]xpub/{want}/* (a multipath "
                                                     "key with its origin)")]
    branches = (int(m["receive"]), int(m["change"]))
    if branches[0] % 2 or branches[1] != branches[0] + 1:
        return None, [Issue("descriptor.key", path, f"the multipath <{branches[0]};{branches[1]}> must be <2k;2k+1> "
                                                     "(receive even, change the next odd number), as Liana writes "
                                                     "a signer's key in each further path")]
    try:
        raw_key = base58.decode_check(m["xpub"])
        hd = bip32.HDKey.from_string(m["xpub"])
    except Exception:  # noqa: BLE001 - any decoding failure is the same user mistake
        return None, [Issue("descriptor.xpub", path, "the extended public key is malformed (bad base58 checksum "
                                                     "or length)")]
    version = KEY_VERSIONS.get(raw_key[:4])
    issues = []
    if hd.is_private:
        issues.append(Issue("descriptor.private", path, "private key material is not accepted"))
    if version is None:
        issues.append(Issue("descriptor.xpub", path, "unknown extended key version (expected xpub/tpub, or the "
                                                     "SLIP-132 Zpub/Vpub a P2WSH multisig wallet such as Electrum "
                                                     "shows)"))
        return None, issues
    if (version.family == "bitcoin") != (network == "bitcoin"):
        want = "mainnet (xpub or Zpub)" if network == "bitcoin" else "test networks (tpub or Vpub)"
        issues.append(Issue("descriptor.network", path, f"a {version.prefix} is a key for another network; this "
                                                         f"program runs on {network}, which needs {want} keys"))
    if version.script not in ("any", "wsh-multi") or (version.script == "wsh-multi" and script_type == "tr"):
        meant = _SCRIPT_WORDS.get(version.script, "native P2WSH multisig")
        want = ("an xpub/tpub (SLIP-132 has no taproot prefix)" if script_type == "tr" else
                "the BIP-48 multisig account key (.../2h) as a Zpub/Vpub or xpub/tpub")
        issues.append(Issue("descriptor.key_kind", path, f"a {version.prefix} is a key for {meant}; this wallet is "
                                                          f"{'taproot' if script_type == 'tr' else 'native P2WSH'} "
                                                          f"multisig: export {want}"))
    if issues:
        return None, issues
    origin = "m" + m["path"].replace("H", "h").replace("'", "h")
    return SignerKey(m["fp"].lower(), origin, plain_xpub(m["xpub"]), branches), issues


def precheck(text: str) -> tuple[str, list[Issue]]:
    """The descriptor's body without whitespace or checksum, and a checksum problem if any; InputError (never
    quoting it) when it holds private key material."""
    text = "".join(str(text).split())
    if contains_private_key(text):
        # Said without quoting: the descriptor may be pasted into logs or a terminal history.
        raise InputError("descriptor contains private key material (xprv/tprv or WIF); import only the "
                         "public descriptor: nothing was stored", field="descriptor")
    issues: list[Issue] = []
    body, _, given = text.partition("#")
    if given:
        try:
            expected = bip380_checksum(body)
        except Exception:  # noqa: BLE001 - characters outside the descriptor alphabet
            expected = None
        if expected != given:
            issues.append(Issue("descriptor.checksum", "descriptor", "BIP-380 checksum does not match; the "
                                                                    "descriptor was altered or mistyped"))
    return body, issues


def bdk_kind(network: str) -> bdk.NetworkKind:
    return _bdk_kind(network)


def parse_descriptor(text: str, network: str) -> WalletDescriptor:
    """Validate a watch-only multisig descriptor for `network`; raise InputError listing every problem."""
    body, issues = precheck(text)
    shape = _SHAPE.match(body) or _TR_SHAPE.match(body)
    if not shape:
        issues.append(Issue("descriptor.shape", "descriptor", "expected wsh(sortedmulti(M, key, ...)) or "
                                                              "tr(NUMS_H, sortedmulti_a(M, key, ...)) with "
                                                              "multipath <0;1>/* keys, or a policy with recovery "
                                                              f"paths: {policy_shape.SHAPES}"))
        raise InputError.from_issues(issues, "descriptor")
    taproot = body.startswith("tr(")
    if taproot and shape["internal"].lower() != NUMS_H:
        issues.append(Issue("descriptor.internal_key", "descriptor.internal_key", "the taproot internal key must "
                            f"be BIP-341's unspendable point H ({NUMS_H}); any other key could spend alone by the "
                            "key path, outside the M-of-N"))
    parts = shape["body"].split(",")
    try:
        threshold = int(parts[0])
    except ValueError:
        threshold = 0
        issues.append(Issue("descriptor.threshold", "descriptor.threshold", "M must be a whole number"))
    keys: list[SignerKey] = []
    for i, raw in enumerate(parts[1:]):
        key, bad = key_issues(i, raw, network, "tr" if taproot else "wsh")
        issues.extend(bad)
        if key:
            keys.append(key)
    n = len(parts) - 1
    if threshold and not 1 <= threshold <= n:
        issues.append(Issue("descriptor.threshold", "descriptor.threshold", f"M = {threshold} must be between 1 "
                                                                            f"and N = {n}"))
    limit = MAX_TAPROOT_SIGNERS if taproot else MAX_SIGNERS
    if n > limit:
        issues.append(Issue("descriptor.signers", "descriptor", f"at most {limit} keys in a "
                                                                f"{'taproot' if taproot else 'P2WSH'} multisig"))
    fps = [k.fingerprint for k in keys]
    for fp in sorted({f for f in fps if fps.count(f) > 1}):
        issues.append(Issue("descriptor.fingerprint", "descriptor.keys", f"fingerprint {fp} appears more than "
                                                                         "once; each signer needs its own seed"))
    if issues:
        raise InputError.from_issues(issues, "descriptor")
    sorted_keys = shape["kind"].startswith("sortedmulti")
    for raw, key in zip(parts[1:], keys, strict=True):  # SLIP-132 keys as the xpub/tpub descriptors (BDK) take
        given_key = _KEY.match(raw.strip())
        if given_key and given_key["xpub"] != key.xpub:
            body = body.replace(given_key["xpub"], key.xpub)
    wallet = WalletDescriptor(body, threshold, tuple(keys), network, sorted_keys, "tr" if taproot else "wsh")
    try:
        if wallet.bdk_parses:
            canonical = str(bdk.Descriptor(body, _bdk_kind(network)))
        else:  # BDK takes each index's tr(H, multi_a(...)); check one, checksum the whole as BIP-380 says
            bdk.Descriptor(wallet.leaf_descriptor(0), _bdk_kind(network))
            canonical = f"{body}#{bip380_checksum(body)}"
    except Exception:  # noqa: BLE001 - BDK's error types vary by version; it omits the input on purpose
        raise InputError("descriptor is not valid miniscript for this network (BDK refused it)",
                         field="descriptor") from None
    return WalletDescriptor(canonical, threshold, tuple(keys), network, sorted_keys, wallet.script_type)
