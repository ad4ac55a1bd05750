"""The demo: one step per pillar, each running that pillar's main job on the shipped pakistan-2025 data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from biplomacy.core.config import Settings
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


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Store, Settings, Actor], StepResult]


def _house(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.core.provenance import load_registry
    from biplomacy.house.audit import head

    with store.read() as s:
        h = head(s)
    facts = len(load_registry().facts)
    return StepResult("house", f"{facts} sourced figures; audit head {h.hash[:16] if h else '(empty)'}",
                      (f"provenance registry: {facts} figures (biplomacy sources)",))


def _energy(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.energy.demo import demo_step

    done = demo_step(store, settings, actor)
    return StepResult("energy", done.headline, done.lines, done.outputs)


def _reserve(store: Store, settings: Settings, actor: Actor) -> StepResult:
    """Rehearsal: the 3-of-5 demo wallet receives a seizure and an agency transfer on the rehearsal chain."""
    import tomllib
    from importlib import resources

    from biplomacy.reserve import wallets as reserve_wallets
    from biplomacy.reserve.rehearsal import chain as rehearsal_chain
    from biplomacy.reserve.rehearsal.source import chain_for

    demo = tomllib.loads((resources.files("biplomacy") / "data" / "demo" / "reserve-rehearsal.toml")
                         .read_text(encoding="utf-8"))
    name = demo["name"]
    lines = []
    if name not in {w.name for w in reserve_wallets.list_wallets(store)}:
        reserve_wallets.add_wallet(store, actor, settings.network, name, demo["descriptor"], demo["policy"])
        for receipt in demo["receipt"]:
            address = reserve_wallets.next_address(store, actor, name).address
            funded = rehearsal_chain.fund(store, actor, settings.network, address, receipt["amount"], receipt["source"])
            lines.append(f"{receipt['source']}: {receipt['amount']} BTC to {address} (tx {funded.txid[:12]}...)")
        rehearsal_chain.mine(store, actor, 1)
    else:
        lines.append("wallet already rehearsed; syncing only")
    synced = reserve_wallets.sync(store, actor, chain_for(store, settings), name)
    lines.append("signers: " + ", ".join(demo["signers"]) + " (3 of 5); portal /reserve")
    return StepResult("reserve", f"{name}: {synced.balance_btc:f} BTC on the rehearsal chain, policy {demo['policy']}",
                      tuple(lines))


def _supervision(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.supervision.demo import demo_step

    done = demo_step(store, settings, actor)
    return StepResult("supervision", done.headline, done.lines, done.outputs)


STEPS: tuple[Step, ...] = (
    Step("House: database, provenance, audit log", _house),
    Step("Energy: plan the 2,000 MW and its risk", _energy),
    Step("Reserve: rehearse the 3-of-5 wallet", _reserve),
    Step("Supervision: register and a proof of solvency", _supervision),
)
