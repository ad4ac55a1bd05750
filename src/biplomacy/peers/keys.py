"""Use case: the program's signing key (Ed25519): make one, read one, and the public key others pin.

The private key is a PKCS#8 PEM file readable by its owner only; it never enters the database or the portal.
The public key is printed as `ed25519:<base64>`: publish it (the portal shows the key of every bundle this
installation exported) and give it to peers, who pin it with `--trust`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from biplomacy.core.errors import InputError
from biplomacy.peers.model.bundle import public_key_text
from biplomacy.peers.results import KeyCreated


def new_key(out: Path) -> KeyCreated:
    """A fresh key written to `out` (refused if the file exists: a key is never overwritten by accident)."""
    if out.exists():
        raise InputError(f"{out} exists; a signing key is never overwritten (choose another file name)", field="out")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist", field="out")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}", field="out") from None
    return KeyCreated(public_key_text(key.public_key()), str(out))


def load_key(path: Path) -> Ed25519PrivateKey:
    """The private key in `path` (as `peers key new` wrote it); anything else is refused naming the file."""
    if not path.is_file():
        raise InputError(f"{path}: no such key file (make one with `biplomacy peers key new --out FILE`)",
                         field="key")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise InputError(f"{path}: not an unencrypted PEM private key ({exc})", field="key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: a {type(key).__name__}, not an Ed25519 key", field="key")
    return key
