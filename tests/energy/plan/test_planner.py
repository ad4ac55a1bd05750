"""The planner never exceeds surplus, cap, connection limits or ramps, and matches a greedy reference."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.energy.model import planner
from biplomacy.energy.model.scenario import load_scenario
from tests.energy.plan.conftest import write_scenario

TOL = 1e-6


def _check_feasible(s, r):
    total = r.mining_mw.sum(axis=0) + s.ai.uptime * r.ai_mw.sum() - r.ai_from_non_surplus_mw
    assert (total <= s.surplus_mw + TOL).all(), "mining and AI from surplus exceed the surplus"
    assert r.mining_mw_installed.sum() + r.ai_mw.sum() <= s.cap_mw + TOL
    for i, z in enumerate(s.zones):
        assert r.mining_mw_installed[i] + r.ai_mw[i] <= z.connection_limit_mw + TOL
        assert (r.mining_mw[i] <= r.mining_mw_installed[i] + TOL).all()
        assert (np.abs(np.diff(r.mining_mw[i])) <= z.ramp_mw_per_h + TOL).all(), f"ramp exceeded in {z.name}"
        if not z.ai_allowed:
            assert r.ai_mw[i] <= TOL
    assert abs(r.ai_mw.sum() - s.ai.firm_mw) <= 1e-5


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    surplus=st.lists(st.floats(min_value=0, max_value=300), min_size=24, max_size=48),
    limits=st.tuples(st.floats(10, 200), st.floats(10, 200)),
    ramps=st.tuples(st.floats(1, 100), st.floats(1, 100)),
    cap=st.floats(30, 300),
)
def test_plan_never_exceeds_surplus_caps_limits_or_ramps(tmp_path_factory, surplus, limits, ramps, cap):
    n = len(surplus)
    folder = write_scenario(tmp_path_factory.mktemp("h"), demand=[100.0] * n,
                            hydro=[110.0 + x for x in surplus], rlng=[0.0] * n, oil=[0.0] * n,
                            zones=(("A", limits[0], ramps[0], True), ("B", limits[1], ramps[1], False)),
                            cap=cap, ai=min(5.0, limits[0], cap))
    s = load_scenario(folder)
    _check_feasible(s, planner.plan(s))


def test_one_zone_without_binding_ramps_matches_the_greedy_optimum(tmp_path):
    # value of a MWh ~ USD 102 at these settings; hydro is free, RLNG ~ USD 86/MWh, oil ~ USD 214/MWh:
    # the greedy optimum mines min(installed, surplus) in every hour whose marginal plant is not oil.
    n = 24
    rng = np.random.default_rng(7)
    hydro = (rng.uniform(0, 300, n)).round(1).tolist()
    folder = write_scenario(tmp_path / "g", demand=[100.0] * n, hydro=hydro, rlng=[150.0] * n,
                            zones=(("A", 120.0, 1000.0, True),), cap=120.0, ai=0.0, price=0.0)
    s = load_scenario(folder)  # free machines: no capex annuity, so every paying hour is worth its MW
    r = planner.plan(s)
    mc = s.grid.marginal_cost_pkr_kwh(extra_mw=s.cap_mw)
    value_pkr_kwh = planner.btc_per_mwh(s, 1.05) * s.network.btc_price_usd * s.usd_pkr / 1000.0
    greedy = np.where(mc < value_pkr_kwh, np.minimum(120.0, s.surplus_mw), 0.0)
    assert r.mining_mw_installed[0] == np.float64(120.0) or greedy.max() < 120.0
    np.testing.assert_allclose(r.mining_mw[0], greedy, atol=1e-5)


def test_min_grid_cost_mines_only_where_the_tariff_covers_the_marginal_cost(small_scenario):
    s = load_scenario(small_scenario)
    r = planner.plan(s, "min-grid-cost")
    mc = s.grid.marginal_cost_pkr_kwh(extra_mw=s.cap_mw)
    mined = r.mining_mw.sum(axis=0) > 1e-6
    assert (mc[mined] <= s.tariffs[0].pkr_per_kwh + 1e-9).all()


def test_build_solve_write_back_are_separate_steps(small_scenario):
    s = load_scenario(small_scenario)
    for formulation in planner.FORMULATIONS:
        model = planner.build(s, formulation=formulation)
        # M and A per zone, one column per zone and hour, g for each hour whose surplus row can bind
        assert model.num_col == 2 * 2 + 2 * 24 + len(model.surplus_hours)
        assert len(model.surplus_hours) == (24 if formulation == "direct" else 0)  # surplus >= 1,030 MW, cap 150 MW
        assert model.starts[-1] == len(model.index) == len(model.value)
        x, obj, _ = planner.solve(model)
        r = planner.write_back(s, model, x, "net-value", obj, 0.0)
        _check_feasible(s, r)
