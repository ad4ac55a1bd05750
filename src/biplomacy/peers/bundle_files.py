"""Writing and reading bundle files (the edge of the exchange): whole or not at all, named on error."""

from __future__ import annotations

from pathlib import Path

from biplomacy.core.errors import InputError
from biplomacy.peers.bundles import MAX_BUNDLE_BYTES


def write_text_file(target: Path, text: str, field: str = "out") -> None:
    """Write `text` to `target` through a partial file, so a crash leaves no half-written file behind."""
    if target.is_dir():
        raise InputError(f"{target} is a folder; give a file name", field=field)
    if not target.parent.is_dir():
        raise InputError(f"folder {target.parent} does not exist", field=field)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {exc.strerror}", field=field) from None


def read_bundle_file(path: Path) -> bytes:
    if not path.is_file():
        raise InputError(f"{path}: no such bundle file", field="bundle")
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise InputError(f"{path}: {path.stat().st_size:,} bytes; a bundle is at most {MAX_BUNDLE_BYTES:,}",
                         field="bundle")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})", field="bundle") from None
