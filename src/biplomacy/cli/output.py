"""Printing results: one JSON document on stdout for --json, Rich tables for people; logs go to stderr."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from biplomacy.core.records import json_value

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    print(json.dumps(json_value(data), indent=2, ensure_ascii=False))


def emit(data: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    """Print `data` as JSON, or hand it to `render` (a Rich view) for people."""
    if as_json or render is None:
        print_json(data)
    else:
        render(data)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if v is None else escape(str(v)) for v in r))
    out.print(t)
