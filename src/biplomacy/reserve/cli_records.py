"""Printing the reserve's records: their published JSON for --json, a view for people otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from biplomacy.cli.output import emit
from biplomacy.reserve.results import json_value


def emit_record(record: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    """Print `record` (a Record or a list of them) as its JSON document, or hand it to `render`."""
    emit(json_value(record) if as_json else record, as_json, render)
