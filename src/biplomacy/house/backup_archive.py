"""The backup file: a tar archive with manifest.json, the database (an SQLite file or a pg_dump archive) and
the AML stream state, each member named in the manifest with its SHA-256. Reading never trusts a member's
name: only the names below are taken, into a folder the caller chose."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biplomacy.core.errors import InputError

FORMAT = "biplomacy-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
STREAM_PREFIX = "aml-stream/"
_STREAM_NAME = re.compile(r"^(snapshot\.pkl|alerts\.jsonl|transfers-\d{1,12}\.log|quarantine\.jsonl)$")


@dataclass(frozen=True, slots=True)
class Manifest:
    doc: dict[str, Any]

    @property
    def backend(self) -> str:
        return str(self.doc["backend"])

    @property
    def files(self) -> dict[str, str]:
        return dict(self.doc["files"])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(target: Path, manifest: dict[str, Any], members: dict[str, Path]) -> None:
    """Write the archive whole or not at all (a .partial file renamed into place), owner-readable only."""
    manifest = {**manifest, "format": FORMAT, "version": VERSION,
                "files": {name: sha256_file(path) for name, path in members.items()}}
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read(source: Path, into: Path) -> tuple[Manifest, dict[str, Path]]:
    """Unpack the members the manifest names into `into`, checking each one's SHA-256."""
    if not source.is_file():
        raise InputError(f"{source} does not exist", field="file")
    try:
        with tarfile.open(source, mode="r:*") as tar:
            manifest = _manifest(tar, source)
            members: dict[str, Path] = {}
            for name, want in manifest.files.items():
                if not (name in {SQLITE_MEMBER, PG_MEMBER} or name.startswith(STREAM_PREFIX)
                        and _STREAM_NAME.match(name[len(STREAM_PREFIX):])):
                    raise InputError(f"{source}: unexpected member {name!r} in the manifest", field="file")
                member = tar.getmember(name)
                stream = tar.extractfile(member) if member.isfile() else None
                if stream is None:
                    raise InputError(f"{source}: {name} is not a plain file", field="file")
                path = into / name.replace("/", "__")
                with path.open("wb") as f:
                    while block := stream.read(1 << 20):
                        f.write(block)
                if sha256_file(path) != want:
                    raise InputError(f"{source}: {name} does not match its SHA-256 in the manifest (damaged)",
                                     field="file")
                members[name] = path
    except (tarfile.TarError, EOFError, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{source}: not a readable Biplomacy backup ({exc})", field="file") from None
    return manifest, members


def _manifest(tar: tarfile.TarFile, source: Path) -> Manifest:
    stream = tar.extractfile(MANIFEST)
    if stream is None:
        raise InputError(f"{source}: no {MANIFEST}", field="file")
    doc = json.loads(stream.read(1 << 20))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise InputError(f"{source}: not a version-{VERSION} Biplomacy backup", field="file")
    for key in ("backend", "files", "tables", "audit", "migrations"):
        if key not in doc:
            raise InputError(f"{source}: the manifest lacks {key!r}", field="file")
    if doc["backend"] not in {"sqlite", "postgresql"} or not isinstance(doc["files"], dict):
        raise InputError(f"{source}: the manifest's backend or files are malformed", field="file")
    return Manifest(doc)


def copy_stream_state(directory: Path, into: Path) -> dict[str, Path]:
    """A consistent copy of an AML stream state folder, even while its server runs: the snapshot (written by
    rename, so whole), then the transfer log of the snapshot's generation up to its last complete line, and
    the alerts and quarantine files likewise. Retried when a new snapshot lands meanwhile."""
    if not directory.is_dir():
        return {}
    for _ in range(5):
        copied: dict[str, Path] = {}
        snap = directory / "snapshot.pkl"
        gen = _copy_whole(snap, into / "snapshot.pkl", copied)
        for name in ("alerts.jsonl", "quarantine.jsonl"):
            _copy_lines(directory / name, into / name, copied)
        logs = sorted(directory.glob("transfers-*.log"))
        for log in logs:
            _copy_lines(log, into / log.name, copied)
        if gen == _mtime(snap):  # no snapshot landed while copying
            return {STREAM_PREFIX + p.name: p for p in copied.values()}
        for p in copied.values():
            p.unlink(missing_ok=True)
    raise InputError(f"{directory}: the AML stream state kept changing; try the backup again", field="state")


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _copy_whole(src: Path, dst: Path, copied: dict[str, Path]) -> int | None:
    stamp = _mtime(src)
    if stamp is not None:
        dst.write_bytes(src.read_bytes())
        copied[src.name] = dst
    return stamp


def _copy_lines(src: Path, dst: Path, copied: dict[str, Path]) -> None:
    """Up to the last newline: a line still being written belongs to a transfer not yet answered."""
    try:
        data = src.read_bytes()
    except FileNotFoundError:
        return
    dst.write_bytes(data[:data.rfind(b"\n") + 1])
    copied[src.name] = dst
