"""The demo: one step per pillar, each running that pillar's main job on the shipped pakistan-2025 data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from biplomacy.adapters.store.db import Store
from biplomacy.config import Settings
from biplomacy.permissions import Actor


@dataclass
class StepResult:
    pillar: str
    headline: str
    lines: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"pillar": self.pillar, "headline": self.headline, "lines": self.lines,
                "outputs": [str(p) for p in self.outputs]}


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Store, Settings, Actor], StepResult]


def _house(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.audit import head
    from biplomacy.provenance import load_registry

    with store.read() as s:
        h = head(s)
    facts = len(load_registry().facts)
    return StepResult("house", f"{facts} sourced figures; audit head {h.hash[:16] if h else '(empty)'}",
                      [f"provenance registry: {facts} figures (biplomacy sources)"])


STEPS: tuple[Step, ...] = (
    Step("House: database, provenance, audit log", _house),
)
