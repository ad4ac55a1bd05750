"""Exchange bundles: one signed file holding what one program hands another (pure rules, no I/O).

A bundle is one JSON document:

    {"format": "biplomacy-bundle/1",
     "manifest": {"bundle_version", "issuer": {"program", "country", "public_key"}, "issued_at", "expires_at",
                  "parts": [{"name", "kind", "title", "schema", "sha256"}], "sources": [...]},
     "parts": {name: content},
     "signature": {"algorithm": "ed25519", "public_key", "value"}}

Each part's `sha256` is SHA-256 over the canonical JSON of its content (sorted keys, no spaces, UTF-8); the
signature is Ed25519 over the canonical JSON of the whole manifest, so it covers every part through its hash.
A public key is written `ed25519:` + the 32 raw key bytes in base64. Verification never stops at the first
problem: it names every one (unsigned, wrong key, bad signature, tampered part, expired, schema).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from biplomacy.core.errors import InputError, Issue
from biplomacy.peers.model.parts import PART_KINDS, check_part

FORMAT = "biplomacy-bundle/1"
ALGORITHM = "ed25519"
KEY_PREFIX = "ed25519:"


def canonical(value: Any) -> bytes:
    """The bytes that are hashed and signed: JSON with sorted keys, no spaces, UTF-8 (Decimals never reach here:
    parts hold strings for exact amounts)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def public_key_text(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return KEY_PREFIX + base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def parse_public_key(text: str, field: str = "trust") -> Ed25519PublicKey:
    """`ed25519:<base64 of 32 bytes>` (as `peers key new` prints it) -> the key; anything else is refused."""
    body = text.strip()
    if not body.startswith(KEY_PREFIX):
        raise InputError("a public key looks like 'ed25519:' followed by base64", field=field)
    try:
        raw = base64.b64decode(body[len(KEY_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise InputError("the public key's base64 does not decode", field=field) from None
    if len(raw) != 32:
        raise InputError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}", field=field)
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class PartEntry:
    name: str
    kind: str
    title: str
    content: Any


def build_manifest(*, bundle_version: str, program: str, country: str, public_key: str, issued_at: datetime,
                   expires_at: datetime, parts: list[PartEntry], sources: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if expires_at <= issued_at:
        raise InputError("the bundle must expire after it is issued", field="expires")
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        raise InputError(f"two parts share a name: {names}", field="part")
    return {
        "bundle_version": bundle_version,
        "issuer": {"program": program, "country": country, "public_key": public_key},
        "issued_at": issued_at.isoformat(timespec="seconds"),
        "expires_at": expires_at.isoformat(timespec="seconds"),
        "parts": [{"name": p.name, "kind": p.kind, "title": p.title, "schema": PART_KINDS[p.kind].schema,
                   "sha256": content_hash(p.content)} for p in parts],
        "sources": [dict(s) for s in sources],
    }


def sign_bundle(manifest: dict[str, Any], parts: list[PartEntry], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The whole bundle document, signed: the manifest's canonical JSON signed with `key`."""
    signature = key.sign(canonical(manifest))
    return {"format": FORMAT, "manifest": manifest, "parts": {p.name: p.content for p in parts},
            "signature": {"algorithm": ALGORITHM, "public_key": manifest["issuer"]["public_key"],
                          "value": base64.b64encode(signature).decode("ascii")}}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What verification found: valid only when there is no problem at all."""

    problems: tuple[Issue, ...]
    manifest: Mapping[str, Any] | None

    @property
    def valid(self) -> bool:
        return not self.problems


def _iso(text: object) -> datetime | None:
    try:
        d = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return d if d.tzinfo is not None else None


def _manifest_problems(m: Any) -> list[Issue]:
    if not isinstance(m, dict):
        return [Issue("schema", "manifest", "the manifest is missing or not an object")]
    out = []
    for key, kind in (("bundle_version", str), ("issuer", dict), ("issued_at", str), ("expires_at", str),
                      ("parts", list), ("sources", list)):
        if not isinstance(m.get(key), kind):
            out.append(Issue("schema", f"manifest.{key}", f"missing or not a {kind.__name__}"))
    issuer = m.get("issuer")
    if isinstance(issuer, dict):
        for key in ("program", "country", "public_key"):
            if not isinstance(issuer.get(key), str) or not issuer.get(key):
                out.append(Issue("schema", f"manifest.issuer.{key}", "missing or empty"))
    for key in ("issued_at", "expires_at"):
        if isinstance(m.get(key), str) and _iso(m[key]) is None:
            out.append(Issue("schema", f"manifest.{key}", "not an ISO 8601 time with offset"))
    listed = m.get("parts")
    for i, p in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(p, dict) or not all(isinstance(p.get(k), str) for k in ("name", "kind", "sha256")):
            out.append(Issue("schema", f"manifest.parts[{i}]", "needs name, kind and sha256"))
    return out


def _signature_problems(doc: Mapping[str, Any], manifest: Any, trusted: Ed25519PublicKey) -> list[Issue]:
    sig = doc.get("signature")
    if not isinstance(sig, dict) or not sig.get("value"):
        return [Issue("unsigned", "signature", "the bundle carries no signature")]
    if sig.get("algorithm") != ALGORITHM:
        return [Issue("bad-signature", "signature.algorithm", f"{sig.get('algorithm')!r} is not {ALGORITHM}")]
    out = []
    trusted_text = public_key_text(trusted)
    claimed = sig.get("public_key")
    issuer_key = manifest.get("issuer", {}).get("public_key") if isinstance(manifest, dict) else None
    if claimed != trusted_text or issuer_key != trusted_text:
        out.append(Issue("wrong-key", "signature.public_key",
                         f"signed with {claimed or issuer_key!s}, not with the trusted key {trusted_text}"))
    try:
        raw = base64.b64decode(str(sig["value"]), validate=True)
        trusted.verify(raw, canonical(manifest))
    except (binascii.Error, ValueError, InvalidSignature):
        out.append(Issue("bad-signature", "signature.value",
                         "the signature does not verify against the trusted key over this manifest "
                         "(wrong key, or the manifest was altered after signing)"))
    return out


def verify_document(doc: Any, trusted: Ed25519PublicKey, now: datetime) -> Verdict:
    """Every problem of a bundle document against the pinned key `trusted` at time `now`."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        return Verdict((Issue("format", "format", f"not a Biplomacy bundle ({FORMAT}); found {found!r}"),), None)
    manifest = doc.get("manifest")
    problems = _manifest_problems(manifest)
    problems += _signature_problems(doc, manifest, trusted)
    if not isinstance(manifest, dict):
        return Verdict(tuple(problems), None)
    found = doc.get("parts")
    parts: dict[str, Any] = found if isinstance(found, dict) else {}
    listed = {p["name"]: p for p in manifest.get("parts", []) if isinstance(p, dict) and isinstance(p.get("name"), str)}
    for name, entry in listed.items():
        if name not in parts:
            problems.append(Issue("missing-part", f"parts.{name}", "listed in the manifest but absent"))
            continue
        if content_hash(parts[name]) != entry.get("sha256"):
            problems.append(Issue("tampered", f"parts.{name}",
                                  "content does not match the hash in the signed manifest (altered after signing)"))
        kind = str(entry.get("kind"))
        problems += check_part(kind, parts[name], f"parts.{name}")
    problems += [Issue("extra-part", f"parts.{name}", "present but not listed in the signed manifest")
                 for name in parts if name not in listed]
    issued, expires = _iso(manifest.get("issued_at")), _iso(manifest.get("expires_at"))
    if expires is not None and now >= expires:
        problems.append(Issue("expired", "manifest.expires_at", f"the bundle expired at {expires.isoformat()}"))
    if issued is not None and issued > now:
        problems.append(Issue("not-yet-valid", "manifest.issued_at",
                              f"issued at {issued.isoformat()}, which is in the future"))
    return Verdict(tuple(problems), manifest)
