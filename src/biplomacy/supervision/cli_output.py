"""Printing supervision's results: a record's JSON form for --json, the command's Rich view for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from biplomacy.cli.output import emit
from biplomacy.supervision.results import json_of

T = TypeVar("T")


def print_result(result: T, as_json: bool, render: Callable[[T], None] | None = None) -> None:
    """Print `result` (a record, or a mapping or list of records) as JSON, or hand it to `render`."""
    if as_json or render is None:
        emit(json_of(result), True)
    else:
        render(result)
