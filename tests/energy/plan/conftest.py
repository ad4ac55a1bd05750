"""A small scenario folder factory: a few zones and hours, so planner tests run in milliseconds."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

PKT = timezone(timedelta(hours=5))

TOML = """name = "{name}"
cap_mw = {cap}
reserve_margin_share = 0.1
usd_pkr = 281.0
[sources.hydro]
fuel_cost_pkr_kwh = 0.0
[sources.rlng]
fuel_cost_pkr_kwh = 24.3
[sources.oil]
fuel_cost_pkr_kwh = 60.0
[ai]
firm_mw = {ai}
uptime = 1.0
{zones}
[[asic]]
model = "S21 XP"
j_per_th = {jth}
price_usd_per_th = {price}
ambient_limit_c = 40.0
share = 1.0
[[tariff]]
name = "cheap"
pkr_per_kwh = 10.0
[[tariff]]
name = "full"
pkr_per_kwh = 70.0
[network]
btc_price_usd = 91000
[risk]
paths = 300
years = 1.0
seed = 1
"""

ZONE = """[[zone]]
name = "{name}"
province = "Sindh"
connection_limit_mw = {limit}
ramp_mw_per_h = {ramp}
pue = 1.05
cooling = "air"
ai_allowed = {ai}
ambient_monthly_c = [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]
"""


def write_scenario(folder: Path, *, demand, hydro, rlng, oil=None, zones=(("A", 100.0, 1000.0, True),),
                   cap=150.0, ai=0.0, jth=13.5, name="small", price=24.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    zs = "".join(ZONE.format(name=n, limit=lim, ramp=r, ai=str(a).lower()) for n, lim, r, a in zones)
    (folder / "scenario.toml").write_text(TOML.format(name=name, cap=cap, ai=ai, zones=zs, jth=jth, price=price))
    oil = oil if oil is not None else [1000.0] * len(demand)
    start = datetime(2025, 1, 1, tzinfo=PKT)
    with (folder / "grid.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["hour", "demand_mw", "avail_hydro_mw", "avail_rlng_mw", "avail_oil_mw"])
        for t, d in enumerate(demand):
            w.writerow([(start + timedelta(hours=t)).isoformat(), d, hydro[t], rlng[t], oil[t]])
    return folder


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    n = 24
    return write_scenario(tmp_path / "small", demand=[700.0] * n, hydro=[600.0 + 10 * t for t in range(n)],
                          rlng=[200.0] * n, zones=(("A", 100.0, 50.0, True), ("B", 80.0, 50.0, False)), cap=150.0,
                          ai=20.0)
