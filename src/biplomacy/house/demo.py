"""The demo: one step per pillar, each running that pillar's main job on the shipped pakistan-2025 data."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from biplomacy.core.config import Settings
from biplomacy.core.permissions import Actor
from biplomacy.store.db import Store


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
    from biplomacy.core.provenance import load_registry
    from biplomacy.house.audit import head

    with store.read() as s:
        h = head(s)
    facts = len(load_registry().facts)
    return StepResult("house", f"{facts} sourced figures; audit head {h.hash[:16] if h else '(empty)'}",
                      [f"provenance registry: {facts} figures (biplomacy sources)"])


def _energy(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.energy.plan import list_plans, run_plan
    from biplomacy.energy.risk import run_risk

    out = settings.out_dir / "energy" / "pakistan-2025"
    existing = [p for p in list_plans(store) if p["name"] == DEMO_PLAN]
    plan = run_plan(None if existing else store, actor, "pakistan-2025", out, name=DEMO_PLAN)
    risk = run_risk("pakistan-2025", paths=2_000, years=5, seed=1, plan=DEMO_PLAN, store=store,
                    chart=out / "risk_fan_chart.png")
    (out / "risk.json").write_text(json.dumps({k: v for k, v in risk.items() if k != "bands"}, indent=2))
    verdicts = "; ".join(f"{t['name']} PKR {t['pkr_per_kwh']}/kWh: {t['verdict'].split(':')[0]}"
                         for t in plan["tariffs"])
    return StepResult(
        "energy",
        f"{plan['mining_mw_installed']:,.0f} MW mining + {plan['ai_mw_installed']:,.0f} MW AI; "
        f"{plan['expected_btc_per_year']:,.0f} BTC/yr; P(loss) {risk['probability_of_loss']:.0%}",
        [f"tariffs: {verdicts}", "plan kept" + (" (already stored; files refreshed)" if existing else ""),
         f"risk: 2,000 paths x 5 years, BTC mined P5/P50/P95 {risk['btc_mined']['p5']:,.0f} / "
         f"{risk['btc_mined']['p50']:,.0f} / {risk['btc_mined']['p95']:,.0f}"],
        [out / "allocation.csv", out / "system.csv", out / "mining_heatmap.png", out / "risk_fan_chart.png"])


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
                      lines)


def _supervision(store: Store, settings: Settings, actor: Actor) -> StepResult:
    from biplomacy.supervision.demo import demo_step

    done = demo_step(store, settings, actor)
    return StepResult("supervision", done.headline, list(done.lines), list(done.outputs))


DEMO_PLAN = "pakistan-2025 demo"

STEPS: tuple[Step, ...] = (
    Step("House: database, provenance, audit log", _house),
    Step("Energy: plan the 2,000 MW and its risk", _energy),
    Step("Reserve: rehearse the 3-of-5 wallet", _reserve),
    Step("Supervision: register and a proof of solvency", _supervision),
)
