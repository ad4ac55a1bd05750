"""Reading a file the user named, with an error that names the file and the field it came in (exit 2, HTTP 422)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from biplomacy.core.errors import InputError


def read_text(path: Path, field: str) -> str:
    """The file's text (UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", field=field) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})", field=field) from None


def read_json(path: Path, field: str) -> Any:
    """The file's JSON document."""
    text = read_text(path, field)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})", field=field) from None
