"""Printing an AML use case's record from a command: its JSON for --json, else the view drawn for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from biplomacy.aml.results import to_json
from biplomacy.cli.output import emit

R = TypeVar("R")


def emit_result(result: R, as_json: bool, render: Callable[[R], None]) -> None:
    if as_json:
        emit(to_json(result), True)
    else:
        render(result)
