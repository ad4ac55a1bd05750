"""Fixtures of the mining economics and risk tests: a tiny scenario folder."""

from pathlib import Path

import pytest

TOML = """
name = "tiny"
cap_mw = 300
reserve_margin_share = 0.1
usd_pkr = 281
source_keys = ["energy.network.difficulty"]

[sources.gas]
fuel_cost_pkr_kwh = 24.3

[network]
btc_price_usd = 91000

[[zone]]
name = "north"
province = "KP"
connection_limit_mw = 400
ramp_mw_per_h = 100
pue = 1.05
cooling = "air"
ambient_monthly_c = [10, 12, 18, 24, 30, 36, 44, 42, 34, 26, 18, 12]
ai_allowed = true

[[asic]]
model = "S21-XP"
j_per_th = 13.5
price_usd_per_th = 15
ambient_limit_c = 40
share = 1.0

[[tariff]]
name = "cost-of-service"
pkr_per_kwh = 34.01

[[tariff]]
name = "incremental"
pkr_per_kwh = 22.98

[ai]
firm_mw = 100
uptime = 0.99
[risk]
paths = 300
years = 1.0
seed = 1
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "scenario.toml").write_text(TOML, encoding="utf-8")
    # 48 hours: surplus (available - demand - 10 % margin) of 2,000 MW by night, 0 by day
    rows = ["hour,demand_mw,avail_gas_mw"]
    for h in range(48):
        day, hour = divmod(h, 24)
        demand = 10_000 if 8 <= hour < 20 else 8_000
        rows.append(f"2025-01-{day + 1:02d}T{hour:02d}:00:00+05:00,{demand},{11_000 if demand == 10_000 else 10_800}")
    (folder / "grid.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder
