"""Zones the LP cannot tell apart are one LP zone (energy/model/zone_groups.py): the same optimum as the direct LP,
which keeps every zone, and a plan split back by shares that keeps each zone's limits and ramps."""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biplomacy.energy.model import planner
from biplomacy.energy.model.scenario import AiCentre, load_scenario
from biplomacy.energy.model.zone_groups import group_zones
from tests.energy.plan.conftest import write_scenario
from tests.energy.plan.test_planner import _check_feasible
from tests.energy.plan.test_planner_formulation import _direct_objective


def _twins(folder, surplus, limits, ramp_share, cap, ai):
    n = len(surplus)
    zones = (("A", limits[0], ramp_share[0] * limits[0], True), ("A2", limits[1], ramp_share[0] * limits[1], True),
             ("B", limits[2], ramp_share[1] * limits[2], False), ("B2", limits[3], ramp_share[1] * limits[3], False))
    return load_scenario(write_scenario(folder, demand=[100.0] * n, hydro=[110.0 + x for x in surplus],
                                        rlng=[60.0] * n, oil=[0.0] * n, zones=zones, cap=cap, ai=ai))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    surplus=st.lists(st.floats(min_value=0, max_value=300), min_size=24, max_size=48),
    limits=st.tuples(*[st.floats(10, 200)] * 4),
    # shares of whole percent: ramp / limit is then the share to within an ulp, far from the 12th digit's rounding
    ramp_share=st.tuples(*[st.integers(5, 100).map(lambda k: k / 100)] * 2),
    cap_share=st.floats(0.3, 1.0),
    sizing=st.sampled_from(planner.SIZINGS),
    objective=st.sampled_from(planner.OBJECTIVES),
)
def test_twins_are_one_lp_zone_with_the_direct_lps_optimum(tmp_path_factory, surplus, limits, ramp_share, cap_share,
                                                           sizing, objective):
    cap = cap_share * sum(limits)
    s = _twins(tmp_path_factory.mktemp("g"), surplus, limits, ramp_share, cap, min(5.0, limits[0], cap))
    auto, direct = planner.build(s, objective, sizing=sizing), planner.build(s, objective, "direct", sizing=sizing)
    assert len(auto.zones) == 2 and len(direct.zones) == 4
    assert auto.num_col < direct.num_col
    _, obj_direct, _ = planner.solve(direct)
    x, obj_auto, _ = planner.solve(auto)
    assert abs(obj_auto - obj_direct) <= 1e-6 * max(1.0, abs(obj_direct))
    r = planner.write_back(s, auto, x, objective, obj_auto, 0.0, sizing)
    assert r.zones == ("A", "A2", "B", "B2")
    _check_feasible(s, r)  # each twin's own connection limit and ramp
    assert abs(_direct_objective(direct, r) - obj_direct) <= 1e-6 * max(1.0, abs(obj_direct))
    # twins carry their group's plan in proportion to their limits
    for a, b in ((0, 1), (2, 3)):
        assert np.allclose(r.mining_mw[a] * limits[b], r.mining_mw[b] * limits[a], atol=1e-6)


def test_only_zones_the_lp_cannot_tell_apart_are_grouped(tmp_path):
    s = _twins(tmp_path / "s", [50.0] * 24, (100.0, 300.0, 50.0, 80.0), (0.3, 0.5), 400.0, 5.0)
    d = planner.derate_matrix(s)
    g = group_zones(s, d)
    assert g.zone_of.tolist() == [0, 0, 1, 1]
    assert np.allclose(g.share, [0.25, 0.75, 50 / 130, 80 / 130])
    assert [z.name for z in g.zones] == ["A and 1 like it", "B and 1 like it"]
    assert [(z.connection_limit_mw, z.ramp_mw_per_h) for z in g.zones] == [(400.0, 120.0), (130.0, 65.0)]
    assert np.allclose(g.split(np.array([8.0, 13.0])), [2.0, 6.0, 5.0, 8.0])
    # a different PUE, ramp share or derating, or an AI centre pinned to it, keeps a zone alone
    apart = list(s.zones)
    apart[1] = dataclasses.replace(apart[1], pue=1.06)
    apart[3] = dataclasses.replace(apart[3], ramp_mw_per_h=apart[3].ramp_mw_per_h + 1.0)
    assert group_zones(dataclasses.replace(s, zones=tuple(apart)), d).zone_of.tolist() == [0, 1, 2, 3]
    hot = d.copy()
    hot[1, 5] = 0.9
    assert group_zones(s, hot).zone_of.tolist() == [0, 1, 2, 2]
    pinned = dataclasses.replace(s, ai_centres=(AiCentre("DC-1", "A2", 5.0, 1.0),))
    assert group_zones(pinned, d).zone_of.tolist() == [0, 1, 2, 2]


def test_the_direct_lp_and_a_scenario_of_distinct_zones_are_not_grouped(tmp_path):
    s = _twins(tmp_path / "s", [50.0] * 24, (100.0, 300.0, 50.0, 80.0), (0.3, 0.5), 400.0, 5.0)
    assert planner.build(s, formulation="direct").groups.zone_of.tolist() == [0, 1, 2, 3]
    distinct = load_scenario("pakistan-2025")
    names = [z.name for z in distinct.zones]
    model = planner.build(distinct)
    # Jamshoro and Chashma: PUE 1.08, no AI, ramp a third of the limit, never derated
    assert model.groups.zone_of.tolist() == [0, 1, 2, 3, 4, 1]
    assert [names[i] for i in np.flatnonzero(model.groups.zone_of == 1)] == ["Jamshoro", "Chashma"]
    assert model.zones == ("Thar", "Jamshoro and 1 like it", "Port Qasim", "Sahiwal", "Tarbela")
