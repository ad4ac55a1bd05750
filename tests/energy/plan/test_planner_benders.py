"""Benders on the installed MW (planner_benders) reaches the direct LP's optimum, with a plan that keeps every row
(surplus, cap, ramps), and says so with a lower bound; past its time limit it stops without an optimum."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.energy.model import planner, planner_benders
from biplomacy.energy.model.scenario import load_scenario
from tests.energy.plan.conftest import write_scenario
from tests.energy.plan.test_planner import _check_feasible


def _three_zones(folder, surplus, cap, ramps, limits, temps, ai=5.0):
    n = len(surplus)
    folder = write_scenario(folder, demand=[100.0] * n, hydro=[110.0 + x for x in surplus], rlng=[0.0] * n,
                            oil=[0.0] * n, zones=(("A", limits[0], ramps[0], True), ("B", limits[1], ramps[1], False),
                                                  ("C", limits[2], ramps[2], False)), cap=cap, ai=ai)
    s = load_scenario(folder)
    zones = tuple(dataclasses.replace(z, ambient_monthly_c=(t,) * 12) for z, t in zip(s.zones, temps, strict=True))
    return dataclasses.replace(s, zones=zones)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    surplus=st.lists(st.floats(min_value=0, max_value=300), min_size=24, max_size=72),
    limits=st.tuples(st.floats(20, 200), st.floats(20, 200), st.floats(20, 200)),
    ramps=st.tuples(st.floats(1, 100), st.floats(1, 100), st.floats(1, 100)),
    temps=st.tuples(st.floats(20, 60), st.floats(20, 60), st.floats(20, 60)),
    cap=st.floats(30, 300),
    objective=st.sampled_from(planner.OBJECTIVES),
    sizing=st.sampled_from(planner.SIZINGS),
)
def test_benders_reaches_the_direct_lps_optimum_with_a_feasible_plan(tmp_path_factory, surplus, limits, ramps, temps,
                                                                     cap, objective, sizing):
    s = _three_zones(tmp_path_factory.mktemp("b"), surplus, cap, ramps, limits, temps)
    if sizing == "policy" and sum(limits) < cap:
        sizing = "pays"
    _, obj_direct, _ = planner.solve(planner.build(s, objective, "direct", sizing=sizing))
    model = planner.build(s, objective, sizing=sizing)
    r = planner_benders.solve(model)
    # the certificate: no plan costs less than the lower bound, and this one is within 5e-7 of it
    assert r.lower_bound <= obj_direct + 1e-7 * max(1.0, abs(obj_direct))
    assert r.gap <= 5e-7
    assert abs(r.objective - obj_direct) <= 1e-6 * max(1.0, abs(obj_direct))
    plan = planner.write_back(s, model, r.x, objective, r.objective, r.seconds, sizing)
    _check_feasible(s, plan)
    installed = plan.mining_mw_installed.sum() + plan.ai_mw.sum()
    assert installed <= s.cap_mw + 1e-6 and (sizing == "pays" or installed >= s.cap_mw - 1e-6)


def test_a_tight_year_gives_the_same_plan_value_as_the_simplex(tmp_path):
    # a year of hours whose surplus binds in about half of them: the case Benders is for (docs/adr/0008)
    rng = np.random.default_rng(15)
    surplus = list(np.clip(rng.normal(60.0, 40.0, 24 * 28), 0.0, None))
    s = _three_zones(tmp_path / "s", surplus, 150.0, (15.0, 20.0, 30.0), (60.0, 70.0, 80.0), (30.0, 45.0, 55.0))
    model = planner.build(s, sizing="policy")
    assert len(model.surplus_hours) > 24 * 28 // 2
    _, obj, _ = planner.solve(model)
    x, obj_benders, _ = planner_benders.solve_plan(model)
    assert abs(obj_benders - obj) <= 1e-6 * abs(obj)
    assert abs(float(model.cost @ x) - obj_benders) <= 1e-9 * abs(obj)


def test_past_its_time_limit_benders_stops_without_an_optimum(tmp_path):
    s = _three_zones(tmp_path / "s", [50.0, 0.0, 120.0] * 16, 150.0, (15.0, 20.0, 30.0), (60.0, 70.0, 80.0),
                     (30.0, 45.0, 55.0))
    with pytest.raises(InputError, match="without an optimum"):
        planner_benders.solve(planner.build(s, sizing="policy"), planner.SolverSettings(time_limit_s=1e-9))


def test_energy_plan_method_benders_and_a_bad_method(cli_nodb, small_scenario, tmp_path):
    simplex = cli_nodb("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "a"), "--json",
                       "--method", "simplex")
    benders = cli_nodb("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "b"), "--json",
                       "--method", "benders")
    assert simplex.exit_code == 0 and benders.exit_code == 0, benders.stderr
    assert benders.json["mining_mw_installed"] == pytest.approx(simplex.json["mining_mw_installed"], rel=1e-6)
    assert benders.json["btc_per_year_p50"] == pytest.approx(simplex.json["btc_per_year_p50"], rel=1e-6)
    assert (simplex.json["solve_method"], benders.json["solve_method"]) == ("simplex", "benders")
    r = cli_nodb("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "c"), "--method", "ipx")
    assert r.exit_code == 2 and "--method: 'ipx' is not one of auto, simplex, benders" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "c" / "summary.json").exists()


def test_auto_is_benders_only_where_a_surplus_row_can_bind(tmp_path, cli_nodb):
    binding = _three_zones(tmp_path / "s", [50.0, 0.0, 120.0] * 16, 150.0, (15.0, 20.0, 30.0), (60.0, 70.0, 80.0),
                           (30.0, 45.0, 55.0))
    model = planner.build(binding, sizing="policy")
    assert len(model.surplus_hours) and planner_benders.chosen("auto", model) == "benders"
    loose = planner.build(load_scenario("pakistan-2025"))  # its surplus never binds the 2,000 MW cap
    assert len(loose.surplus_hours) == 0 and planner_benders.chosen("auto", loose) == "simplex"
    assert [planner_benders.chosen(m, model) for m in ("simplex", "benders")] == ["simplex", "benders"]
    with pytest.raises(InputError, match="'ipx' is not one of auto, simplex, benders"):
        planner_benders.chosen("ipx", model)
    # energy plan's default is auto: the plan says which method solved it
    r = cli_nodb("energy", "plan", "--scenario", str(binding.folder), "--out", str(tmp_path / "o"), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["solve_method"] == "benders" and "method benders" in r.stderr


def test_the_weeks_basis_starts_the_operating_lp_next_to_its_optimum(tmp_path):
    # planner_weeks: each week solved alone, their bases side by side, is a basis HiGHS takes and finishes from
    import highspy

    from biplomacy.energy.model.planner_weeks import pass_rows, set_basis

    rng = np.random.default_rng(16)
    surplus = list(np.clip(rng.normal(60.0, 40.0, 24 * 28), 0.0, None))
    s = _three_zones(tmp_path / "s", surplus, 150.0, (15.0, 20.0, 30.0), (60.0, 70.0, 80.0), (30.0, 45.0, 55.0))
    model = planner.build(s, sizing="policy")
    sp = planner_benders._Split(model)
    lo, up, rlo, rup = sp.bounds(np.array([50.0, 40.0, 60.0]))
    options = planner.SolverSettings().highs_options()
    runs = {}
    for start in ("slack", "weeks"):
        h = highspy.Highs()
        for name, value in options.items():
            h.setOptionValue(name, value)
        pass_rows(h, sp.cost, lo, up, sp.row, sp.index, sp.value, rlo, rup)
        if start == "weeks":
            weeks = planner_benders._weeks(sp, model, options)
            assert len(weeks.parts) == 4
            assert set_basis(h, *weeks.basis(lo, up, rlo, rup))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        runs[start] = (h.getInfo().objective_function_value, h.getInfo().simplex_iteration_count)
    assert runs["weeks"][0] == pytest.approx(runs["slack"][0], rel=1e-9)
    assert runs["weeks"][1] < runs["slack"][1] / 4  # only the rows between weeks were left to repair
