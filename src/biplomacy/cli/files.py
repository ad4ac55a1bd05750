"""Reading the files a user names on the command line, with errors that name the flag and the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from biplomacy.core.errors import InputError


def read_json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist", field=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path} cannot be read: {exc}", field=what) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path} is not JSON ({exc.msg}, line {exc.lineno})", field=what) from None
