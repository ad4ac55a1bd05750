"""The demo: one step per pillar, each running that pillar's main job on the shipped pakistan-2025 data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from biplomacy.core.config import Settings
from biplomacy.core.demo_outcome import DemoOutcome
from biplomacy.core.permissions import Actor
from biplomacy.core.records import Record
from biplomacy.store.db import Store


@dataclass(frozen=True)
class StepResult(Record):
    """What one step of the demo did: a headline, lines for the log, and the files it wrote."""

    pillar: str
    headline: str
    lines: tuple[str, ...] = ()
    outputs: tuple[Path, ...] = ()

    @classmethod
    def of(cls, pillar: str, done: DemoOutcome) -> StepResult:
        return cls(pillar, done.headline, done.lines, done.outputs)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Store, Settings, Actor], StepResult]


def _house(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.core.provenance import load_registry

    facts = len(load_registry().facts)
    return StepResult("house", f"{facts} sourced figures (the audit head after the run is printed at the end)",
                      (f"provenance registry: {facts} figures (biplomacy sources)",))


def audit_head_after(store: Store) -> tuple[int, str] | None:
    """The audit log's head once every step has run: (entries, hash), what `audit verify` prints."""
    from biplomacy.house.audit import head

    with store.read() as s:
        h = head(s)
    return None if h is None else (h.seq, h.hash)


def _energy(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.energy.demo import demo_step

    return StepResult.of("energy", demo_step(store, settings, actor))


def _reserve(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.reserve.demo import demo_step

    return StepResult.of("reserve", demo_step(store, settings, actor))


def _supervision(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.supervision.demo import demo_step

    return StepResult.of("supervision", demo_step(store, settings, actor))


STEPS: tuple[Step, ...] = (
    Step("House: database, provenance, audit log", _house),
    Step("Energy: plan the 2,000 MW and its risk", _energy),
    Step("Reserve: rehearse the 3-of-5 wallet", _reserve),
    Step("Supervision: register and a proof of solvency", _supervision),
)
