"""Signed checkpoints of the audit log: "the log had N entries ending in hash H", signed with Ed25519.

The hash chain shows that nothing inside the log was changed, but a log cut short (its last entries deleted)
or rewritten from some entry on with every later hash recomputed is again a valid chain. A checkpoint pins
the log's length and head with a key kept away from the database (the operator's, or the auditor's): the
portal publishes each one (`/api/v1/audit/checkpoints`) and the auditor keeps the files, so that `audit
verify --checkpoint FILE --trust PUBKEY` later catches truncation and rewriting without trusting the
database. The statement signed is the canonical JSON of {"type", "version", "seq", "head", "at"}.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house import audit
from biplomacy.house.tables import AuditCheckpointRow
from biplomacy.store.db import Store

STATEMENT_TYPE = "biplomacy-audit-checkpoint"
VERSION = 1
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    head: str
    at: str
    public_key: str
    signature: str

    def statement(self) -> dict[str, Any]:
        return {"type": STATEMENT_TYPE, "version": VERSION, "seq": self.seq, "head": self.head, "at": self.at}

    def as_dict(self) -> dict[str, Any]:
        return {"statement": self.statement(), "public_key": self.public_key, "signature": self.signature}


def _message(seq: int, head: str, at: str) -> bytes:
    doc = {"type": STATEMENT_TYPE, "version": VERSION, "seq": seq, "head": head, "at": at}
    return audit.canonical_json(doc).encode("utf-8")


def new_key(target: Path) -> str:
    """Write a new Ed25519 private key (PKCS#8 PEM, mode 0600; never overwrites); returns its public key (hex)."""
    if target.exists():
        raise InputError(f"{target} exists already; a signing key is never overwritten", field="out")
    if not target.parent.is_dir():
        raise InputError(f"{target}: folder {target.parent} does not exist", field="out")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return public_hex(key.public_key())


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", field="key") from None
    except (ValueError, TypeError, OSError) as exc:
        raise InputError(f"{path} is not an unencrypted PEM private key ({exc})", field="key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} holds a {type(key).__name__}, not an Ed25519 key", field="key")
    return key


def trusted_key(text: str) -> Ed25519PublicKey:
    """A public key given as 64 hex digits (what `audit key new` printed)."""
    try:
        raw = bytes.fromhex(text.strip())
        if len(raw) != 32:
            raise ValueError("not 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InputError("give the Ed25519 public key as 64 hex digits (from `biplomacy audit key new`)",
                         field="trust") from None


def sign(store: Store, actor: Actor, key: Ed25519PrivateKey) -> Checkpoint:
    """Sign the log's current head, store the checkpoint (audited) and return it."""
    authorize(actor, "audit.checkpoint")
    with store.transaction() as s:
        last = audit.head(s)
        seq, head = (0, audit.GENESIS) if last is None else (last.seq, last.hash)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        signature = key.sign(_message(seq, head, at)).hex()
        cp = Checkpoint(seq, head, at, public_hex(key.public_key()), signature)
        s.add(AuditCheckpointRow(seq=seq, head_hash=head, at=at, public_key=cp.public_key, signature=signature))
        audit.record(s, actor=actor.name, action="audit.checkpoint", subject=f"audit/{seq}",
                     payload={"seq": seq, "head": head, "public_key": cp.public_key})
        return cp


def listed(store: Store, limit: int = MAX_LISTED) -> list[Checkpoint]:
    """The newest checkpoints first (public: publishing them is their point)."""
    with store.read() as s:
        rows = s.execute(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id.desc()).limit(limit)).scalars()
        return [Checkpoint(r.seq, r.head_hash, r.at, r.public_key, r.signature) for r in rows]


def parse(doc: Any, where: str) -> Checkpoint:
    """A checkpoint as `as_dict()` wrote it (the file an auditor keeps)."""
    try:
        st = doc["statement"]
        if st["type"] != STATEMENT_TYPE or st["version"] != VERSION:
            raise ValueError(f"not a version-{VERSION} {STATEMENT_TYPE}")
        seq, head, at = st["seq"], st["head"], st["at"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(at, str):
            raise ValueError("seq must be a whole number >= 0 and at a text")
        if not (isinstance(head, str) and len(head) == 64 and all(c in "0123456789abcdef" for c in head)):
            raise ValueError("head must be 64 hex digits")
        return Checkpoint(seq, head, at, str(doc["public_key"]), str(doc["signature"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: not an audit checkpoint ({exc})", field="checkpoint") from None


def read_file(path: Path) -> Checkpoint:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist", field="checkpoint") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not JSON ({exc})", field="checkpoint") from None
    return parse(doc, str(path))


def check_signature(cp: Checkpoint, trusted: Ed25519PublicKey) -> str | None:
    """None when `trusted` signed this checkpoint, else why not."""
    if cp.public_key.lower() != public_hex(trusted):
        return f"the checkpoint was signed by key {cp.public_key}, not the trusted {public_hex(trusted)}"
    try:
        trusted.verify(bytes.fromhex(cp.signature), _message(cp.seq, cp.head, cp.at))
    except (InvalidSignature, ValueError):
        return "the checkpoint's signature does not verify: it was altered or forged"
    return None
