"""The "auto" formulation (unused-capacity columns where mining pays, surplus rows only where they can bind) is
the "direct" LP written differently: the same optimum, a plan within surplus, caps and ramps. Solver settings."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.energy.model import planner
from biplomacy.energy.model.economics import derating_fraction
from biplomacy.energy.model.scenario import load_scenario
from tests.energy.plan.conftest import write_scenario
from tests.energy.plan.test_planner import _check_feasible


def _with_ambient(s, temps):
    zones = tuple(dataclasses.replace(z, ambient_monthly_c=(t,) * 12) for z, t in zip(s.zones, temps, strict=True))
    return dataclasses.replace(s, zones=zones)


def _direct_objective(direct, r):
    """The direct LP's objective at the written-back plan (its columns are M, A, m, g for every hour)."""
    x = np.concatenate([r.mining_mw_installed, r.ai_mw, r.mining_mw.ravel(), r.ai_from_non_surplus_mw])
    return float(direct.cost @ x)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    surplus=st.lists(st.floats(min_value=0, max_value=300), min_size=24, max_size=48),
    rlng=st.floats(0, 150),
    limits=st.tuples(st.floats(10, 200), st.floats(10, 200)),
    ramps=st.tuples(st.floats(1, 100), st.floats(1, 100)),
    temps=st.tuples(st.floats(20, 60), st.floats(20, 60)),
    cap=st.floats(30, 300),
    objective=st.sampled_from(planner.OBJECTIVES),
)
def test_auto_and_direct_formulations_reach_the_same_optimum(tmp_path_factory, surplus, rlng, limits, ramps,
                                                              temps, cap, objective):
    n = len(surplus)
    folder = write_scenario(tmp_path_factory.mktemp("f"), demand=[100.0] * n, hydro=[110.0 + x for x in surplus],
                            rlng=[rlng] * n, oil=[0.0] * n,
                            zones=(("A", limits[0], ramps[0], True), ("B", limits[1], ramps[1], False)),
                            cap=cap, ai=min(5.0, limits[0], cap))
    s = _with_ambient(load_scenario(folder), temps)  # 20-60 degC: derating from none to most of the fleet
    direct, auto = planner.build(s, objective, "direct"), planner.build(s, objective, "auto")
    _, obj_direct, _ = planner.solve(direct)
    x, obj_auto, _ = planner.solve(auto)
    assert abs(obj_auto - obj_direct) <= 1e-6 * max(1.0, abs(obj_direct))
    r = planner.write_back(s, auto, x, objective, obj_auto, 0.0)
    _check_feasible(s, r)
    # the plan written back from the changed variables is the optimum of the direct LP
    assert abs(_direct_objective(direct, r) - obj_direct) <= 1e-6 * max(1.0, abs(obj_direct))


def test_auto_leaves_out_only_the_surplus_rows_that_cannot_bind(tmp_path):
    # surplus (hydro - demand - 10 % margin) 500 MW in even hours, 40 MW in odd; cap 120, AI 20 (uptime 1):
    # mining can take at most 100 MW, so only the odd hours' rows (40 - 20 = 20 < 100) can bind
    n = 24
    hydro = [110.0 + (500.0 if t % 2 == 0 else 40.0) for t in range(n)]
    folder = write_scenario(tmp_path / "s", demand=[100.0] * n, hydro=hydro, rlng=[0.0] * n, oil=[0.0] * n,
                            zones=(("A", 100.0, 30.0, True), ("B", 80.0, 30.0, False)), cap=120.0, ai=20.0)
    s = load_scenario(folder)
    direct, auto = planner.build(s, formulation="direct"), planner.build(s, formulation="auto")
    assert auto.surplus_hours.tolist() == list(range(1, n, 2))
    assert direct.num_row - auto.num_row == n // 2 and direct.num_col - auto.num_col == n // 2
    # unused capacity is the column exactly where mining pays and the surplus cannot bind
    pays = direct.cost[4:4 + 2 * n].reshape(2, n) < 0
    even = np.arange(n) % 2 == 0
    assert ((auto.sign == -1) == (pays & even[None, :])).all()
    assert (auto.sign == -1).any()
    r = planner.plan(s)
    _check_feasible(s, r)
    assert r.ai_from_non_surplus_mw.shape == (n,)
    assert abs(_direct_objective(direct, r) - planner.solve(direct)[1]) <= 1e-6 * abs(r.objective_value)


def test_derate_matrix_is_derating_fraction_hour_by_hour():
    s = load_scenario("pakistan-2025")
    d = planner.derate_matrix(s)
    for i in (0, len(s.zones) - 1):
        amb = planner.hourly_ambient_c(s.zones[i].ambient_monthly_c, s.grid.hours)
        expected = [derating_fraction(float(a), s.fleet_ambient_limit_c) for a in amb[::97]]
        assert d[i, ::97].tolist() == expected


@pytest.mark.parametrize("kwargs", [{"solver": "pdlp"}, {"dual_pricing": "dantzig"}])
def test_bad_solver_settings_are_refused_by_name(kwargs):
    with pytest.raises(InputError) as e:
        planner.SolverSettings(**kwargs)
    assert next(iter(kwargs)) in str(e.value)


def test_bad_formulation_is_refused_by_name(small_scenario):
    with pytest.raises(InputError, match="formulation"):
        planner.build(load_scenario(small_scenario), formulation="compact")


@pytest.mark.parametrize("solver_settings", [
    planner.SolverSettings(),
    planner.SolverSettings(dual_pricing="steepest-edge", presolve=True),
    planner.SolverSettings(dual_pricing="choose"),
    planner.SolverSettings(solver="ipm"),
])
def test_every_solver_setting_reaches_the_same_optimum(small_scenario, solver_settings):
    s = load_scenario(small_scenario)
    reference = planner.plan(s, settings=planner.SolverSettings(dual_pricing="choose", presolve=True))
    r = planner.plan(s, settings=solver_settings)
    assert abs(r.objective_value - reference.objective_value) <= 1e-6 * abs(reference.objective_value)
    _check_feasible(s, r)
