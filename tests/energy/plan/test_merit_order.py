"""New load priced hour by hour along the merit order: a hand-worked stack, and the integral's properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.energy.model.grid_csv import Grid
from biplomacy.energy.model.merit_order import MeritOrder, price_added_load
from biplomacy.energy.model.scenario import SupplyCost, Tariff
from biplomacy.energy.model.tariffs import assess_tariff, short_run_cost

HOURS = tuple(f"2025-01-01T{h:02d}:00:00+05:00" for h in range(4))


def three_plant_grid() -> Grid:
    # hydro 0 PKR/kWh, coal 10, gas 20; hour 3 is a dry hour with no hydro at all
    return Grid(HOURS, np.array([80.0, 140.0, 50.0, 30.0]),
                {"gas": np.array([50.0, 50.0, 50.0, 50.0]), "hydro": np.array([100.0, 100.0, 100.0, 0.0]),
                 "coal": np.array([50.0, 50.0, 50.0, 50.0])},
                {"gas": 20.0, "hydro": 0.0, "coal": 10.0})


def test_mining_load_walks_up_the_stack_from_demand_plus_ai_by_hand():
    priced = price_added_load(three_plant_grid(), np.array([40.0, 60.0, 0.0, 30.0]), np.array([10.0, 10.0, 10.0, 0.0]))
    # h0: AI 80->90 hydro (free); mining 90->130: 10 MWh hydro + 30 MWh coal at 10 = PKR 300,000
    # h1: AI 140->150 coal 10 MWh = 100,000; mining 150->210: 50 MWh gas at 20 + 10 MWh beyond the stack at the
    #     dearest (20) = 1,200,000
    # h2: no mining; the AI's 10 MW sit in hydro. h3: no hydro: mining 30->60: 20 MWh coal + 10 MWh gas = 400,000
    assert priced.mining_cost_pkr.tolist() == pytest.approx([300_000.0, 1_200_000.0, 0.0, 400_000.0])
    assert priced.ai_cost_pkr.tolist() == pytest.approx([0.0, 100_000.0, 0.0, 0.0])
    assert priced.marginal_source == ("coal", "gas", "hydro", "gas")
    assert priced.marginal_cost_pkr_kwh.tolist() == [10.0, 20.0, 0.0, 20.0]
    # demand alone is at the margin of hydro, coal, hydro, coal
    assert priced.margin_moved.tolist() == [True, True, False, True]


def test_tariff_pays_or_falls_short_of_each_hours_merit_order_cost_by_hand():
    load = np.array([40.0, 60.0, 0.0, 30.0])
    src = short_run_cost(three_plant_grid(), load, np.array([10.0, 10.0, 10.0, 0.0]), SupplyCost())
    bench = SupplyCost(average_cost_pkr_kwh=25.98, cost_of_service_pkr_kwh=33.38)
    t = assess_tariff(Tariff("x", 15.0, ("gst", "debt_service_surcharge", "fixed_charge")), src, runs=True,
                      installed_mw=60.0, supply=bench, usd_pkr=281.0)
    # PKR 15/kWh pays 600,000 / 900,000 / 0 / 450,000 against costs 300,000 / 1,200,000 / 0 / 400,000
    assert t.subsidy_vs_marginal_pkr == pytest.approx(300_000.0) and t.subsidy_pkr == pytest.approx(300_000.0)
    assert t.capacity_contribution_pkr == pytest.approx(300_000.0 + 50_000.0)
    assert t.hours_subsidised == 1 and t.hours_below_marginal == 2  # gas (20) is at the margin in h1 and h3
    assert t.subsidy_vs_marginal_usd == pytest.approx(300_000.0 / 281.0)
    assert t.energy_mwh == pytest.approx(130.0) and t.verdict.startswith("subsidy")
    full = assess_tariff(Tariff("y", 40.0, ("gst", "debt_service_surcharge", "fixed_charge")), src, runs=True,
                         installed_mw=60.0, supply=bench, usd_pkr=281.0)
    assert full.subsidy_pkr == 0 and full.verdict.startswith("no subsidy: pays the short-run cost")


def test_the_full_cost_adds_om_network_charges_and_the_levies_the_tariff_does_not_charge_by_hand():
    load = np.array([40.0, 60.0, 0.0, 30.0])
    supply = SupplyCost(variable_om_pkr_kwh=1.0, network_system_pkr_kwh=2.0, debt_service_surcharge_pkr_kwh=3.0,
                        fixed_charge_pkr_kw_month=100.0, gst_share=0.18, capacity_pkr_kwh=16.67)
    src = short_run_cost(three_plant_grid(), load, np.array([10.0, 10.0, 10.0, 0.0]), supply)
    # the short-run cost adds PKR 1 + 2 a kWh to the fuel: 420,000 / 1,380,000 / 0 / 490,000 against 600,000 /
    # 900,000 / 0 / 450,000 paid: a gap of 480,000 + 40,000 and a contribution of 180,000
    t = assess_tariff(Tariff("bare", 15.0), src, runs=True, installed_mw=60.0, supply=supply, usd_pkr=281.0)
    assert t.subsidy_vs_marginal_pkr == pytest.approx(520_000.0) and t.capacity_contribution_pkr == pytest.approx(180_000.0)
    assert t.unpaid_debt_service_surcharge_pkr == pytest.approx(3.0 * 130_000)
    assert t.forgone_gst_pkr == pytest.approx(0.18 * 15.0 * 130_000)
    assert t.unpaid_fixed_charge_pkr == pytest.approx(100.0 * 60_000 * 12)  # per kW of the 60 MW, a year
    assert t.subsidy_pkr == pytest.approx(520_000 + 390_000 + 351_000 + 72_000_000)
    assert t.capacity_carried_by_others_pkr == pytest.approx(16.67 * 130_000 - 180_000)
    levied = assess_tariff(Tariff("all", 15.0, ("gst", "debt_service_surcharge", "fixed_charge")), src, runs=True,
                           installed_mw=60.0, supply=supply, usd_pkr=281.0)
    assert levied.subsidy_pkr == pytest.approx(520_000.0)  # only the short-run gap is left
    idle = assess_tariff(Tariff("bare", 15.0), src, runs=False, installed_mw=60.0, supply=supply, usd_pkr=281.0)
    assert idle.energy_mwh == 0 and idle.subsidy_pkr == pytest.approx(72_000_000)  # the fixed charge stays


def test_transmission_losses_gross_up_the_generation_the_delivered_kwh_needs():
    one = Grid(HOURS[:1], np.array([0.0]), {"coal": np.array([1000.0])}, {"coal": 10.0})
    src = short_run_cost(one, np.array([80.0]), 0.0, SupplyCost(transmission_loss_share=0.2))
    # 80 MWh delivered need 100 MWh generated at PKR 10/kWh: 1,000,000, PKR 12.5 a delivered kWh
    assert src.cost_pkr.tolist() == pytest.approx([1_000_000.0]) and src.average_pkr_kwh() == pytest.approx(12.5)


def test_with_nothing_added_the_marginal_plant_is_the_grids_own():
    grid = three_plant_grid()
    zero = np.zeros(4)
    priced = price_added_load(grid, zero, zero)
    assert priced.marginal_cost_pkr_kwh.tolist() == grid.marginal_cost_pkr_kwh().tolist()
    assert not priced.margin_moved.any() and not priced.mining_cost_pkr.any()


@st.composite
def stacks(draw: st.DrawFn) -> MeritOrder:
    n = draw(st.integers(1, 5))
    costs = draw(st.lists(st.floats(0, 60, allow_nan=False), min_size=n, max_size=n))
    avail = draw(st.lists(st.floats(0, 5_000, allow_nan=False), min_size=n, max_size=n))
    names = [f"s{i}" for i in range(n)]
    grid = Grid(HOURS[:1], np.array([0.0]), {s: np.array([a]) for s, a in zip(names, avail, strict=True)},
                dict(zip(names, costs, strict=True)))
    return MeritOrder.of(grid)


MW = st.floats(0, 12_000, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(stack=stacks(), base=MW, a=MW, b=MW)
def test_cost_rises_with_load_and_adds_up_along_the_stack(stack, base, a, b):
    one = stack.cost_pkr(np.array([base]), np.array([a]))[0]
    both = stack.cost_pkr(np.array([base]), np.array([a + b]))[0]
    then = stack.cost_pkr(np.array([base + a]), np.array([b]))[0]
    assert 0 <= one <= both * (1 + 1e-12) + 1e-6
    assert both == pytest.approx(one + then, rel=1e-9, abs=1e-3)
    # no MWh costs less than the cheapest source nor more than the dearest
    assert stack.cost_pkr_kwh[0] * (a + b) * 1000 * (1 - 1e-9) - 1e-3 <= both
    assert both <= stack.cost_pkr_kwh[-1] * (a + b) * 1000 * (1 + 1e-9) + 1e-3


@settings(max_examples=300, deadline=None)
@given(stack=stacks(), pick=st.integers(0, 4), at=st.floats(0, 1), share=st.floats(0, 1))
def test_load_within_one_plants_block_costs_its_marginal_cost_times_the_load(stack, pick, at, share):
    k = pick % len(stack.sources)
    bottom = stack.top_mw[k - 1, 0] if k else 0.0
    top = stack.top_mw[k, 0]
    base = bottom + at * (top - bottom)
    load = share * (top - base)
    cost = stack.cost_pkr(np.array([base]), np.array([load]))[0]
    assert cost == pytest.approx(stack.cost_pkr_kwh[k] * load * 1000, rel=1e-9, abs=1e-6)
    if load > 0 and bottom < base + load <= top:  # the plant serving the last MW costs what this block costs
        assert stack.marginal_cost_pkr_kwh(np.array([base]), np.array([load]))[0] == stack.cost_pkr_kwh[k]
