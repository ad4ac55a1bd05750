"""Expected BTC: the formula, the halving inside a window, retargets with self-dilution."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biplomacy.core.errors import InputError
from biplomacy.core.units import Difficulty, Hashrate
from biplomacy.energy.model.economics import (
    expected_btc,
    expected_btc_from_height,
    expected_btc_with_retargets,
    retarget_factor,
    subsidy_at,
)
from biplomacy.energy.model.network import implied_hashrate_hs

D = Difficulty.parse("148.26T")
H = Hashrate.parse("100EH/s")
DAY = 86_400.0


def test_expected_btc_matches_the_formula_to_1e_9():
    t = 30 * DAY
    by_hand = t * 1e20 / (148.26e12 * 2**32) * (3.125 + 0.02)
    assert math.isclose(expected_btc(H, D, t, fees_btc_per_block=0.02), by_hand, rel_tol=1e-9)


def test_contract_example_100_eh_for_30_days_at_148_26_t():
    # 30 days = 4,320 blocks; 100 EH/s is 9.42 % of the hashrate that difficulty implies: ~1,272 BTC
    assert expected_btc(H, D, 30 * DAY) == pytest.approx(1272.0411531, rel=1e-9)


def test_window_across_the_halving_pays_half_after_block_1_050_000():
    w = expected_btc_from_height(H, D, 30 * DAY, start_height=1_049_000)
    share = 1e20 * 600 / (148.26e12 * 2**32)
    assert w.blocks_before_halving == 1000 and w.blocks_after_halving == pytest.approx(3320)
    assert w.expected_btc == pytest.approx(share * (1000 * 3.125 + 3320 * 1.5625), rel=1e-12)
    before = expected_btc_from_height(H, D, 30 * DAY, start_height=900_000)
    assert before.expected_btc == pytest.approx(expected_btc(H, D, 30 * DAY), rel=1e-12)
    after = expected_btc_from_height(H, D, 30 * DAY, start_height=1_050_000)
    assert after.expected_btc == pytest.approx(before.expected_btc / 2, rel=1e-12)


def test_subsidy_halves_every_210_000_blocks_after_the_next_halving():
    assert subsidy_at(1_049_999) == 3.125
    assert subsidy_at(1_050_000) == 1.5625
    assert subsidy_at(1_260_000) == 0.78125


def test_retarget_factor_is_clamped_to_a_quarter_and_four():
    two_weeks = 2016 * 600.0
    assert retarget_factor(two_weeks, two_weeks / 10) == 4.0
    assert retarget_factor(two_weeks, two_weeks * 10) == 0.25
    assert retarget_factor(two_weeks, two_weeks / 2) == 2.0


def test_a_fleet_that_adds_hashrate_dilutes_itself_at_the_next_retarget():
    others = Hashrate(implied_hashrate_hs(D.value))
    fixed = expected_btc(H, D, 365 * DAY)
    diluted = expected_btc_with_retargets(H, others, D, 365, start_height=0)
    assert diluted.retargets > 20
    assert diluted.expected_btc < fixed
    # the fleet wins h / (others + h) of every block; blocks come faster only until the first retarget,
    # which finishes 2,016 blocks early by the fleet's share of the time, then the difficulty absorbs it
    share = H.value / (others.value + H.value)
    assert diluted.expected_btc == pytest.approx(share * diluted.blocks * 3.125, rel=1e-9)
    assert diluted.blocks == pytest.approx(365 * 144 + 2016 * share, rel=1e-6)
    assert diluted.final_difficulty == pytest.approx(D.value * (others.value + H.value) / others.value, rel=1e-9)


def test_a_tiny_fleet_earns_what_the_fixed_difficulty_formula_says():
    tiny = Hashrate.parse("1PH/s")
    others = Hashrate(implied_hashrate_hs(D.value))
    r = expected_btc_with_retargets(tiny, others, D, 30, start_height=0)
    assert r.expected_btc == pytest.approx(expected_btc(tiny, D, 30 * DAY), rel=1e-5)


def test_retarget_clamp_binds_when_a_fleet_makes_the_network_ten_times_bigger():
    others = Hashrate(implied_hashrate_hs(D.value))
    huge = Hashrate(others.value * 9)
    r = expected_btc_with_retargets(huge, others, D, 2, start_height=0)  # 2,016 blocks come in 1.4 days
    assert r.retargets == 1 and r.final_difficulty == pytest.approx(D.value * 4)


def test_negative_duration_is_refused():
    with pytest.raises(InputError):
        expected_btc(H, D, -1.0)


@given(h=st.floats(1e12, 1e22), k=st.floats(0.01, 100), t=st.floats(1, 1e9))
def test_expected_btc_is_linear_in_hashrate_and_time_and_inverse_in_difficulty(h, k, t):
    base = expected_btc(Hashrate(h), D, t)
    assert math.isclose(expected_btc(Hashrate(h * k), D, t), base * k, rel_tol=1e-9)
    assert math.isclose(expected_btc(Hashrate(h), D, t * k), base * k, rel_tol=1e-9)
    assert math.isclose(expected_btc(Hashrate(h), Difficulty(D.value * k), t), base / k, rel_tol=1e-9)


@given(share=st.floats(0.001, 3.0), more=st.floats(1.01, 5.0), days=st.floats(20, 200))
def test_more_fleet_hashrate_mines_more_btc_but_less_per_hash_once_difficulty_catches_up(share, more, days):
    others = Hashrate(implied_hashrate_hs(D.value))
    small = expected_btc_with_retargets(Hashrate(others.value * share), others, D, days)
    big = expected_btc_with_retargets(Hashrate(others.value * share * more), others, D, days)
    assert big.expected_btc > small.expected_btc
    assert big.expected_btc / more < small.expected_btc
