"""One zone's dispatch at given hour prices (energy/model/zone_dispatch.py): the dynamic programme's optimum is the LP's
(held to HiGHS), its ramp multipliers give a lower bound on the zone's cost that is tight at the installed MW it was
taken at, and the bound holds at every other installed MW and for any multipliers at all (what makes a cut valid)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.energy.model.zone_dispatch import bound, cuts, dispatch, multipliers


def _lp(a, upper, r):
    """The same LP by HiGHS: min a @ m, 0 <= m <= upper, -r <= m_t - m_t-1 <= r."""
    import highspy

    T = len(a)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(T, np.zeros(T), np.asarray(upper, float))
    h.changeColsCost(T, np.arange(T, dtype=np.int32), np.asarray(a, float))
    for t in range(1, T):
        h.addRow(-r, r, 2, np.array([t, t - 1], dtype=np.int32), np.array([1.0, -1.0]))
    h.run()
    return h.getInfo().objective_function_value


@st.composite
def _zones(draw):
    T = draw(st.integers(1, 48))
    scale = draw(st.sampled_from([0.1, 1.0, 30.0]))
    a = np.array(draw(st.lists(st.floats(-1, 1), min_size=T, max_size=T))) * scale
    if draw(st.booleans()):  # ties: whole costs make many optima
        a = np.round(a)
    derate = np.array(draw(st.lists(st.sampled_from([1.0, 1.0, 1.0, 0.0, 0.35, 0.8]), min_size=T, max_size=T)))
    return a, derate, draw(st.sampled_from([0.0, 1.0, 7.5, 26.0])), draw(st.sampled_from([0.5, 2.0, 6.0, 100.0]))


@settings(max_examples=150, deadline=None)
@given(zone=_zones(), others=st.lists(st.floats(0, 40), min_size=1, max_size=3))
def test_dispatch_is_the_lps_optimum_and_its_bound_is_tight_there_and_valid_elsewhere(zone, others):
    a, derate, M, r = zone
    upper = derate * M
    m = dispatch(a, upper, r)
    assert np.all(m >= -1e-9) and np.all(m <= upper + 1e-9)
    assert np.all(np.abs(np.diff(m)) <= r + 1e-9)
    best = _lp(a, upper, r)
    assert a @ m == pytest.approx(best, rel=1e-9, abs=1e-7)
    intercept, slope = bound(a, derate, r, multipliers(a, upper, r, m, 1e-9 * max(1.0, M)))
    assert intercept + slope * M == pytest.approx(best, rel=1e-9, abs=1e-7)
    for other in others:
        assert intercept + slope * other <= _lp(a, derate * other, r) + 1e-7 * (1 + abs(best))


@settings(max_examples=60, deadline=None)
@given(zone=_zones(), M=st.floats(0, 40), seed=st.integers(0, 2**16))
def test_any_multipliers_give_a_valid_bound(zone, M, seed):
    a, derate, _, r = zone
    pi = np.random.default_rng(seed).normal(0, 20, len(a))
    pi[0] = 0.0
    intercept, slope = bound(a, derate, r, pi)
    assert intercept + slope * M <= _lp(a, derate * M, r) + 1e-9 * (1 + abs(intercept))


def test_cuts_gives_each_zones_tangent_at_each_point():
    rng = np.random.default_rng(7)
    a = rng.normal(0, 10, (3, 200))
    derate = np.clip(rng.normal(0.9, 0.2, (3, 200)), 0.0, 1.0)
    ramp = np.array([2.0, 5.0, 50.0])
    points = np.array([[0.0, 10.0, 30.0], [12.5, 3.0, 7.0]])
    intercepts, slopes = cuts(a, derate, ramp, points)
    for j in range(2):
        for z in range(3):
            assert intercepts[j, z] + slopes[j, z] * points[j, z] == pytest.approx(
                _lp(a[z], derate[z] * points[j, z], ramp[z]), rel=1e-9, abs=1e-7)
