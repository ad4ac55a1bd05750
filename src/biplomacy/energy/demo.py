"""The energy step of `biplomacy demo run` (house/demo.py): plan pakistan-2025, write its files, keep the plan once,
and simulate its risk with the fan chart."""

from __future__ import annotations

import json

from biplomacy.core.config import Settings
from biplomacy.core.demo_outcome import DemoOutcome
from biplomacy.core.permissions import Actor
from biplomacy.energy.plan import adopt_plan, adopted_plan, keep_plan, plan_index, plan_scenario
from biplomacy.energy.plan_files import write_plan_files
from biplomacy.energy.risk import run_risk
from biplomacy.energy.risk_files import write_fan_chart
from biplomacy.store.db import Store

SCENARIO = "pakistan-2025"
DEMO_PLAN = "pakistan-2025 demo"


def demo_step(store: Store, settings: Settings, actor: Actor) -> DemoOutcome:
    """Plan the scenario and write its files; keep the plan unless a demo plan is already stored (a second run
    refreshes the files only); then 2,000 paths x 5 years of the stored plan's risk."""
    out = settings.out_dir / "energy" / SCENARIO
    existing = any(p.name == DEMO_PLAN for p in plan_index(store))
    plan = plan_scenario(actor, SCENARIO)
    files = write_plan_files(plan, out)
    if not existing:
        keep_plan(store, actor, plan, out_dir=out, files=files, name=DEMO_PLAN)
    if adopted_plan(store) is None:  # the public pages show the adopted plan; the demo adopts its own, once
        adopt_plan(store, actor, DEMO_PLAN)
    risk = run_risk(SCENARIO, paths=2_000, years=5, seed=1, plan=DEMO_PLAN, store=store)
    risk = write_fan_chart(risk, out / "risk_fan_chart.png")
    (out / "risk.json").write_text(json.dumps({k: v for k, v in risk.to_json().items() if k != "bands"}, indent=2))
    s = plan.summary
    verdicts = "; ".join(f"{t.name} PKR {t.pkr_per_kwh}/kWh: {t.verdict.split(':')[0]}" for t in s.tariffs)
    return DemoOutcome(
        f"{s.mining_mw_installed:,.0f} MW mining + {s.ai_mw_installed:,.0f} MW AI; "
        f"{s.expected_btc_per_year:,.0f} BTC/yr; P(loss) {risk.probability_of_loss:.0%}",
        (f"tariffs: {verdicts}", "plan kept" + (" (already stored; files refreshed)" if existing else "")
         + "; the adopted plan is what /energy shows",
         f"risk: 2,000 paths x 5 years, BTC mined P5/P50/P95 {risk.btc_mined.p5:,.0f} / "
         f"{risk.btc_mined.p50:,.0f} / {risk.btc_mined.p95:,.0f}"),
        (out / "allocation.csv", out / "system.csv", out / "mining_heatmap.png", out / "risk_fan_chart.png"))
