"""The energy step of `biplomacy demo run` (house/demo.py): plan pakistan-2025, write its files, keep the plan once,
and simulate its risk with the fan chart."""

from __future__ import annotations

import json

from biplomacy.core.config import Settings
from biplomacy.core.demo_outcome import DemoOutcome
from biplomacy.core.permissions import Actor
from biplomacy.energy.plan import get_plan, keep_plan, plan_index, plan_scenario
from biplomacy.energy.plan_files import write_plan_files
from biplomacy.energy.risk import run_risk
from biplomacy.energy.risk_files import write_fan_chart
from biplomacy.store.db import Store

SCENARIO = "pakistan-2025"
DEMO_PLAN = "pakistan-2025 demo"


def demo_step(store: Store, settings: Settings, actor: Actor) -> DemoOutcome:
    """Plan the scenario and write its files; keep the plan unless a demo plan is already stored (a second run
    refreshes the files only); then the stored plan's risk at its headline settings (the same figures)."""
    out = settings.out_dir / "energy" / SCENARIO
    existing = any(p.name == DEMO_PLAN for p in plan_index(store))
    plan = plan_scenario(actor, SCENARIO)
    files = write_plan_files(plan, out)
    if not existing:
        keep_plan(store, actor, plan, out_dir=out, files=files, name=DEMO_PLAN)
    risk = run_risk(SCENARIO, plan=DEMO_PLAN, store=store)  # the plan's headline settings: the same figures
    risk = write_fan_chart(risk, out / "risk_fan_chart.png")
    (out / "risk.json").write_text(json.dumps({k: v for k, v in risk.to_json().items() if k != "bands"}, indent=2))
    s = get_plan(store, DEMO_PLAN).summary if existing else plan.summary  # the headline the pages show
    verdicts = "; ".join(f"{t.name} PKR {t.pkr_per_kwh}/kWh: {t.verdict.split(':')[0]}" for t in s.tariffs)
    by = risk.btc_per_year
    return DemoOutcome(
        f"{s.mining_mw_installed:,.0f} MW mining + {s.ai_mw_installed:,.0f} MW AI; "
        f"{s.btc_per_year_p50 or 0:,.0f} BTC/yr risk-adjusted P50 ({s.btc_per_year_p5 or 0:,.0f}-"
        f"{s.btc_per_year_p95 or 0:,.0f}; static {s.btc_per_year_static or 0:,.0f}); P(loss) {risk.probability_of_loss:.0%}",
        (f"tariffs: {verdicts}", "plan kept" + (" (already stored; files refreshed)" if existing else ""),
         f"risk: {risk.paths:,} paths x {risk.years:g} years, BTC a year P5/P50/P95 "
         + (f"{by.p5:,.0f} / {by.p50:,.0f} / {by.p95:,.0f}" if by is not None else "n/a")),
        (out / "allocation.csv", out / "system.csv", out / "mining_heatmap.png", out / "risk_fan_chart.png"))
