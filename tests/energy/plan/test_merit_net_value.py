"""The plan's net value priced like the tariff test (each hour's mining MWh along the merit order) next to the
planner's LP objective: a hand-worked case, and how the two relate on any small plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.energy.model import planner
from biplomacy.energy.model.grid_csv import Grid
from biplomacy.energy.model.merit_order import price_added_load
from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.scenario import AiCentres, Asic, RiskDefaults, Scenario, Tariff, Zone
from biplomacy.energy.plan import summarise

HOURS_A_YEAR = 8760.0


def scenario(*, demand, hydro, rlng, oil=None, zones=(("A", 100.0, 1000.0, True),), cap=100.0, ai=0.0,
             jth=13.5) -> Scenario:
    """A scenario of a few hours built in memory (a scenario folder needs 24 hours at least): hydro at PKR 0/kWh,
    RLNG at 24.3 and oil at 60, zones at PUE 1.05 and 20 degC (no heat derating), BTC at USD 91,000."""
    n = len(demand)
    hours = tuple(f"2025-01-01T{h:02d}:00:00+05:00" for h in range(n))
    oil = oil if oil is not None else [1000.0] * n
    grid = Grid(hours, np.array(demand, dtype=float),
                {"hydro": np.array(hydro, dtype=float), "rlng": np.array(rlng, dtype=float),
                 "oil": np.array(oil, dtype=float)}, {"hydro": 0.0, "rlng": 24.3, "oil": 60.0})
    return Scenario("hand", Path("."), cap, 0.1,
                    tuple(Zone(name, "Sindh", lim, ramp, 1.05, "air", (20.0,) * 12, ai_ok)
                          for name, lim, ramp, ai_ok in zones),
                    (Asic("S21 XP", jth, 24.0, 40.0, 1.0),), AiCentres(ai, 1.0),
                    (Tariff("cheap", 10.0), Tariff("full", 70.0)),
                    NetworkAssumptions.defaults().with_changes(btc_price_usd=91_000.0), 281.0, grid,
                    ("energy.network.difficulty",), risk=RiskDefaults(paths=100, years=0.2, seed=1))


def btc_per_mwh_by_hand(s) -> float:
    """3,600 s x (10^6 W / (J/TH x PUE) x 10^12 H/s per TH/s) / (difficulty x 2^32) x (subsidy + fees)."""
    hashes_per_s = 1e6 / (13.5 * 1.05) * 1e12
    return 3600.0 * hashes_per_s / (s.network.difficulty * 2.0**32) * (s.network.subsidy_btc
                                                                        + s.network.fees_btc_per_block)


def test_three_hours_two_plants_by_hand():
    # one zone of 100 MW, cap 100 MW, no AI, hydro (PKR 0/kWh) then RLNG (PKR 24.3/kWh), oil (60) far above;
    # demand 700 MW each hour; hydro 750, 900 and 620 MW. The BTC pays more than RLNG, so 100 MW mine every hour.
    s = scenario(demand=[700.0] * 3, hydro=[750.0, 900.0, 620.0], rlng=[200.0] * 3)
    r = planner.plan(s)
    assert r.mining_mw[0].tolist() == pytest.approx([100.0, 100.0, 100.0])
    d = summarise(s, r)
    # merit order: h0 mines 700-800 MW: 50 MWh of hydro (0) + 50 MWh of RLNG = 50 x 24,300 = PKR 1,215,000;
    # h1 700-800 MW sits in hydro (0); h2 700-800 MW is all RLNG (hydro ends at 620): 100 x 24,300 = 2,430,000.
    # The LP prices every MWh at the plant serving demand + the whole cap (800 MW): RLNG, hydro, RLNG.
    btc = 300.0 * btc_per_mwh_by_hand(s)
    year = HOURS_A_YEAR / 3
    # the machines: 100 MW x 10^6 / (13.5 J/TH x 1.05) TH/s x USD 24 per TH/s, paid back at 12 % over 5 years
    annuity = 100 * 1e6 / (13.5 * 1.05) * 24.0 * 0.12 / (1 - 1.12**-5)
    merit = (btc * 91_000 - (1_215_000 + 0 + 2_430_000) / 281.0) * year
    lp = (btc * 91_000 - (2_430_000 + 0 + 2_430_000) / 281.0) * year - annuity
    assert d.net_value_at_merit_order_usd_per_year == pytest.approx(merit, abs=0.01)
    assert d.lp_objective_usd_per_year == pytest.approx(lp, rel=1e-9, abs=0.01)
    assert d.capex is not None and d.capex.annuity_usd_per_year == pytest.approx(annuity, rel=1e-9)
    assert d.net_value_at_merit_order_usd_per_year - d.lp_objective_usd_per_year == pytest.approx(
        1_215_000 / 281.0 * year + annuity, abs=0.02)
    assert "net_value_usd_per_year" not in d.to_json()


def test_a_min_grid_cost_plan_has_both_figures_too():
    s = scenario(demand=[700.0] * 3, hydro=[750.0, 900.0, 620.0], rlng=[200.0] * 3)
    d = summarise(s, planner.plan(s, "min-grid-cost"))
    # the grid's LP mines where the first tariff (PKR 10/kWh) covers the margin at demand + cap: h1 only (hydro)
    assert d.lp_objective_usd_per_year == pytest.approx(100 * 10_000 / 281.0 * HOURS_A_YEAR / 3, abs=0.01)
    assert d.net_value_at_merit_order_usd_per_year == pytest.approx(
        100 * btc_per_mwh_by_hand(s) * 91_000 * HOURS_A_YEAR / 3, abs=0.01)


hours_ = st.integers(min_value=2, max_value=3)


@st.composite
def small_grids(draw):
    n = draw(hours_)
    mw = st.floats(min_value=0.0, max_value=400.0, allow_nan=False)
    demand = draw(st.lists(st.floats(min_value=100.0, max_value=600.0), min_size=n, max_size=n))
    hydro = draw(st.lists(mw, min_size=n, max_size=n))
    rlng = draw(st.lists(mw, min_size=n, max_size=n))
    oil = draw(st.lists(st.floats(min_value=0.0, max_value=1500.0), min_size=n, max_size=n))
    cap = draw(st.floats(min_value=10.0, max_value=300.0))
    limits = draw(st.lists(st.floats(min_value=5.0, max_value=300.0), min_size=1, max_size=2))
    ramps = draw(st.lists(st.floats(min_value=5.0, max_value=300.0), min_size=len(limits), max_size=len(limits)))
    zones = tuple((f"Z{i}", lim, ramp, i == 0) for i, (lim, ramp) in enumerate(zip(limits, ramps, strict=True)))
    ai = draw(st.floats(min_value=0.0, max_value=min(cap, limits[0]) / 2))
    jth = draw(st.floats(min_value=8.0, max_value=25.0))  # efficient fleets mine at RLNG's price, poor ones do not
    # the grid can carry the AI's firm load (the planner refuses a scenario that cannot); mining may go past the
    # whole stack, priced at the dearest plant by both the LP and the merit order
    oil = [max(o, d + ai - h - r) for o, d, h, r in zip(oil, demand, hydro, rlng, strict=True)]
    return dict(demand=demand, hydro=hydro, rlng=rlng, oil=oil, zones=zones, cap=cap, ai=ai, jth=jth)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_grids())
def test_the_merit_order_net_value_is_never_below_the_net_value_lp_objective(g):
    """The LP charges every mined MWh at the plant serving demand + the whole cap; the planned load (AI + mining)
    never exceeds the cap, so along the rising merit order each MWh costs at most that, and the LP also charges
    the AI's non-surplus generation at the dearest plant and the machines' capex annuity. The gap is exactly those
    three terms, each >= 0."""
    s = scenario(**g)
    r = planner.plan(s, "net-value")
    d = summarise(s, r)
    year = len(s.grid.hours) / HOURS_A_YEAR
    mining = r.mining_mw.sum(axis=0)
    priced = price_added_load(s.grid, mining, float(r.ai_mw.sum()) * s.ai.uptime)
    assert float(mining.max(initial=0.0)) + float(r.ai_mw.sum()) * s.ai.uptime <= s.cap_mw + 1e-6
    # over the plan's hours, in USD
    merit = d.net_value_at_merit_order_usd_per_year * year
    lp = r.objective_value
    overcharge = float((r.marginal_cost_pkr_kwh * 1000.0 * mining - priced.mining_cost_pkr).sum()) / s.usd_pkr
    non_surplus = max(s.grid.fuel_cost_pkr_kwh.values()) * 1000.0 / s.usd_pkr * float(r.ai_from_non_surplus_mw.sum())
    capex = float((planner.capex_annuity_usd_per_mw_year(s) * r.mining_mw_installed).sum()) * year  # the machines
    tol = 1e-3 + 1e-9 * abs(lp) + 1e-9 * capex  # HiGHS's primal tolerance, and the summary's rounding to cents
    assert overcharge >= -tol and non_surplus >= 0 and capex >= 0
    assert merit >= lp - tol
    assert merit - lp == pytest.approx(overcharge + non_surplus + capex, abs=tol)
    assert d.lp_objective_usd_per_year == pytest.approx(lp / year, abs=0.01)
