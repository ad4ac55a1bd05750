"""What one pillar's step of `biplomacy demo run` reports back to the house: a headline, lines, files written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biplomacy.core.records import Record


@dataclass(frozen=True)
class DemoOutcome(Record):
    headline: str
    lines: tuple[str, ...] = ()
    outputs: tuple[Path, ...] = ()
