"""Policies with recovery paths: read and validate one from its descriptor, or design one from its paths.

`parse_wallet` is the entry point for every descriptor a reserve wallet may have: a plain M-of-N goes to
descriptors.parse_descriptor, a policy with recovery paths (policy_shape.py) is checked here, every problem at
once: each key as a plain wallet's are, each path satisfiable (1 <= m <= keys, no signer twice in a path), each
timelock within BIP-68's range of blocks, no key shared by two paths under the same derivation (a signer of two
paths writes /<0;1>/* in one and /<2;3>/* in the next, as Liana does), the P2WSH script within the consensus
and standardness limits; then BDK parses it (rust-miniscript's type system) and derives its addresses.
`check_profile` applies the policy profile's smallest number of keys a path may have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bdkpython as bdk
from embit.descriptor.checksum import checksum as bip380_checksum

from biplomacy.core.errors import InputError, Issue
from biplomacy.reserve.model import policy_shape as shape
from biplomacy.reserve.model.descriptors import (
    NUMS_H,
    SignerKey,
    SpendPath,
    WalletDescriptor,
    bdk_kind,
    key_issues,
    parse_descriptor,
    precheck,
)

MAX_MULTI_KEYS = 20  # consensus: CHECKMULTISIG takes at most 20 keys (MAX_PUBKEYS_PER_MULTISIG)
MAX_MULTI_A_KEYS = 999  # Bitcoin Core's descriptor parser (MAX_PUBKEYS_PER_MULTI_A)
MAX_P2WSH_SCRIPT = 3600  # policy: MAX_STANDARD_P2WSH_SCRIPT_SIZE (Bitcoin Core 28, policy/policy.h)
MAX_OPS = 201  # consensus: MAX_OPS_PER_SCRIPT, counting each CHECKMULTISIG's keys


def is_policy(text: str) -> bool:
    """Whether a descriptor is a policy with recovery paths rather than a plain M-of-N."""
    body = "".join(str(text).split()).partition("#")[0]
    return "older(" in body or body.startswith("wsh(or_") or (body.startswith("tr(") and "{" in body)


def parse_wallet(text: str, network: str) -> WalletDescriptor:
    """Any reserve wallet's descriptor, validated: a plain M-of-N, or a policy with recovery paths."""
    return parse_policy(text, network) if is_policy(text) else parse_descriptor(text, network)


def _timelock(raw: str | None, where: str, issues: list[Issue]) -> int | None:
    if raw is None:
        return None
    try:
        blocks = int(raw)
    except ValueError:
        issues.append(Issue("descriptor.timelock", where, f"older({raw[:20]}) must be a whole number of blocks"))
        return 0
    if blocks >= 1 << 22 and blocks < 1 << 31:
        issues.append(Issue("descriptor.timelock", where, f"older({blocks}) is a time-based lock (BIP-68's type "
                                                          "flag, units of 512 s); reserve recovery paths count "
                                                          "blocks: give 1 to 65,535"))
    elif not 1 <= blocks <= shape.MAX_RELATIVE_BLOCKS:
        issues.append(Issue("descriptor.timelock", where, f"older({blocks}) is outside BIP-68's relative lock of 1 "
                                                          "to 65,535 blocks (about 455 days): nSequence holds 16 "
                                                          "bits of blocks, so the lock would not be what it says"))
    return blocks


def _path(raw: shape.RawPath, name: str, network: str, script_type: str,
          issues: list[Issue]) -> tuple[list[SignerKey], int]:
    where = f"descriptor.paths.{name}"
    keys: list[SignerKey] = []
    for i, text in enumerate(raw.keys):
        key, bad = key_issues(i, text, network, script_type, f"{where}.keys", recovery=True)
        issues.extend(bad)
        if key:
            keys.append(key)
    n = len(raw.keys)
    try:
        m = int(raw.threshold)
    except ValueError:
        issues.append(Issue("descriptor.threshold", f"{where}.threshold", "m must be a whole number"))
        return keys, 0
    if not 1 <= m <= n:
        issues.append(Issue("descriptor.threshold", f"{where}.threshold", f"{m} of {n} keys can never sign: the "
                                                                          "threshold must be between 1 and the "
                                                                          "number of keys"))
    limit = MAX_MULTI_A_KEYS if script_type == "tr" else MAX_MULTI_KEYS
    if n > limit:
        issues.append(Issue("descriptor.signers", where, f"at most {limit} keys in one path"))
    fps = [k.fingerprint for k in keys]
    for fp in sorted({f for f in fps if fps.count(f) > 1}):
        issues.append(Issue("descriptor.fingerprint", f"{where}.keys", f"fingerprint {fp} appears more than once "
                                                                        "in this path; each signer counts once"))
    return keys, m


def _leaves(tree: shape.Tree, remap: list[int]) -> shape.Tree:
    return remap[tree] if isinstance(tree, int) else (_leaves(tree[0], remap), _leaves(tree[1], remap))


def parse_policy(text: str, network: str) -> WalletDescriptor:
    """Validate a policy with recovery paths; InputError listing every problem, nothing stored."""
    body, issues = precheck(text)
    try:
        found = shape.read(body)
    except shape.ShapeError as e:
        raise InputError.from_issues([*issues, Issue("descriptor.shape", "descriptor", str(e))], "descriptor") from None
    taproot = found.script_type == "tr"
    if taproot and (found.internal_key or "").lower() != NUMS_H:
        issues.append(Issue("descriptor.internal_key", "descriptor.internal_key", "the taproot internal key must "
                            f"be BIP-341's unspendable point H ({NUMS_H}); any other key could spend alone by the "
                            "key path, outside every path of the policy"))
    names = shape.path_names(found.paths, [None if p.older is None else _safe_int(p.older) for p in found.paths])
    built: list[SpendPath] = []
    for raw, name in zip(found.paths, names, strict=True):
        timelock = _timelock(raw.older, f"descriptor.paths.{name}.timelock", issues)
        keys, m = _path(raw, name, network, found.script_type, issues)
        built.append(SpendPath(name, m, tuple(keys), timelock))
    seen: dict[tuple[str, tuple[int, int]], str] = {}
    for p in built:
        for k in p.keys:
            other = seen.setdefault((k.xpub, k.branches), p.name)
            if other != p.name:
                issues.append(Issue("descriptor.repeated_key", f"descriptor.paths.{p.name}.keys",
                                    f"the key of {k.fingerprint} is in the {other} and {p.name} paths with the same "
                                    f"derivation /<{k.branches[0]};{k.branches[1]}>/*: give it /<{k.branches[0] + 2};"
                                    f"{k.branches[1] + 2}>/* in the {p.name} path (the same key twice makes one "
                                    "signature count in two paths)"))
    if issues:
        raise InputError.from_issues(issues, "descriptor")
    for key_text in {t for r in found.paths for t in r.keys}:  # SLIP-132 keys as the xpub/tpub BDK takes
        key, _ = key_issues(0, key_text, network, found.script_type, recovery=True)
        given = key_text[key_text.index("]") + 1:key_text.rindex("/<")]
        if key is not None and given != key.xpub:
            body = body.replace(given, key.xpub)
    try:
        canonical = str(bdk.Descriptor(body, bdk_kind(network)))
    except Exception:  # noqa: BLE001 - BDK's error types vary by version; it omits the input on purpose
        raise InputError("descriptor is not valid miniscript for this network (BDK refused it)",
                         field="descriptor") from None
    order = sorted(range(len(built)), key=lambda i: (built[i].name != "primary", built[i].timelock_blocks or 0, i))
    paths = tuple(built[i] for i in order)
    tree = _leaves(found.tree, [order.index(i) for i in range(len(built))])
    primary = paths[0]
    wallet = WalletDescriptor(canonical, primary.threshold, primary.keys, network, False, found.script_type, paths,
                              tree)
    _check_script(wallet)
    return wallet


def _safe_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _check_script(wallet: WalletDescriptor) -> None:
    """P2WSH limits on the compiled script: its size (standardness) and operation count (consensus)."""
    if wallet.is_taproot:
        return
    script = wallet.witness_script(0)
    ops = sum(1 for b in _opcodes(script) if b > 0x60) + sum(len(p.keys) for p in wallet.paths)
    problems = []
    if len(script) > MAX_P2WSH_SCRIPT:
        problems.append(f"the witness script is {len(script)} bytes, over the {MAX_P2WSH_SCRIPT} a node relays")
    if ops > MAX_OPS:
        problems.append(f"the witness script counts {ops} operations, over consensus's {MAX_OPS}")
    if problems:
        raise InputError("; ".join(problems) + ": use fewer keys, or taproot (tr) where each path is its own leaf",
                         field="descriptor")


def _opcodes(script: bytes) -> list[int]:
    out, pos = [], 0
    while pos < len(script):
        op = script[pos]
        pos += 1
        if 0 < op < 0x4C:
            pos += op
        elif op in (0x4C, 0x4D, 0x4E):
            size = 1 << (op - 0x4C)
            pos += size + int.from_bytes(script[pos:pos + size], "little")
        else:
            out.append(op)
    return out


def check_profile(wallet: WalletDescriptor, profile: str, min_keys: int) -> None:
    """The policy profile's floor: no path with fewer keys than `min_keys` (InputError naming each path)."""
    short = [p for p in wallet.spend_paths if len(p.keys) < min_keys]
    if short:
        raise InputError.from_issues([Issue("descriptor.profile", f"descriptor.paths.{p.name}",
                                            f"{len(p.keys)} keys; policy profile {profile} allows no path with "
                                            f"fewer than {min_keys} keys") for p in short], "descriptor")


# The policy designer ------------------------------------------------------------------------------------------

def _design_keys(doc: Mapping[str, Any], where: str, used: dict[str, int], issues: list[Issue]) -> list[str]:
    keys = doc.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        issues.append(Issue("design.keys", f"{where}.keys", "a list of keys, each [fingerprint/origin]xpub "
                                                              "(a multipath /<0;1>/* suffix is added)"))
        return []
    out = []
    for text in keys:
        text = "".join(text.split())
        if text.endswith("/*"):
            out.append(text)
            continue
        pair = used.get(text, -2) + 2  # the same signer's key in a further path takes the next <2k;2k+1>
        used[text] = pair
        out.append(f"{text}/<{pair};{pair + 1}>/*")
    return out


def _design_int(doc: Mapping[str, Any], key: str, where: str, issues: list[Issue]) -> str:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        issues.append(Issue("design.number", f"{where}.{key}", "a whole number"))
        return "0"
    return str(value)


def design(doc: Mapping[str, Any], network: str) -> WalletDescriptor:
    """A policy from its paths (a TOML or JSON document: `script` "wsh" or "tr", `primary` {threshold, keys},
    `recovery` [{threshold, keys, after_blocks}, ...]): the canonical descriptor, validated as an import is."""
    issues: list[Issue] = []
    script = doc.get("script", "wsh")
    if script not in ("wsh", "tr"):
        issues.append(Issue("design.script", "script", "wsh (P2WSH) or tr (taproot, each path its own leaf)"))
    primary, recoveries = doc.get("primary"), doc.get("recovery")
    if not isinstance(primary, Mapping):
        issues.append(Issue("design.primary", "primary", "the primary path: {threshold, keys}"))
        primary = {}
    if not isinstance(recoveries, list) or not recoveries or not all(isinstance(r, Mapping) for r in recoveries):
        issues.append(Issue("design.recovery", "recovery", "one or more recovery paths: [{threshold, keys, "
                                                           "after_blocks}]"))
        recoveries = []
    used: dict[str, int] = {}
    raw = [shape.RawPath(_design_int(primary, "threshold", "primary", issues),
                         tuple(_design_keys(primary, "primary", used, issues)), None)]
    for i, r in enumerate(recoveries):
        where = f"recovery[{i}]"
        raw.append(shape.RawPath(_design_int(r, "threshold", where, issues), tuple(_design_keys(r, where, used, issues)),
                                 _design_int(r, "after_blocks", where, issues)))
    if issues:
        raise InputError.from_issues(issues, "policy design")
    body = shape.render(str(script), raw)
    return parse_policy(f"{body}#{bip380_checksum(body)}", network)
