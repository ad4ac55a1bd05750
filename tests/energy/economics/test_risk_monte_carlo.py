"""The Monte Carlo of price, difficulty and fees: reproducible, ordered, and equal to the closed form without noise."""

import math

import numpy as np
import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.units import Difficulty, Hashrate
from biplomacy.energy.model.economics import expected_btc_from_height
from biplomacy.energy.model.fleet import DailyProfile
from biplomacy.energy.model.network import NetworkAssumptions, implied_hashrate_hs
from biplomacy.energy.model.risk import Fleet, RiskSettings, daily_subsidy, simulate

NET = NetworkAssumptions.defaults()
# 100 MW of S21s at PUE 1.05: ~5.4 EH/s
FLEET = Fleet(hashrate_hs=100e6 / (17.5 * 1.05) * 1e12, power_mw=100, energy_price_usd_mwh=45, capex_usd=80e6)
SMALL = RiskSettings(paths=500, years=1, seed=7)


def quiet(**changes):
    return NET.with_changes(price_volatility_annual=0.0, difficulty_growth_volatility_annual=0.0,
                            fee_volatility_annual=0.0, **changes)


def test_same_seed_gives_identical_results_and_another_seed_does_not():
    a = simulate(NET, FLEET, SMALL)
    b = simulate(NET, FLEET, SMALL)
    c = simulate(NET, FLEET, RiskSettings(paths=500, years=1, seed=8))
    assert a == b
    assert a.npv_usd != c.npv_usd


def test_quantiles_are_ordered_and_loss_is_a_probability():
    r = simulate(NET, FLEET, SMALL)
    for s in (r.btc_mined, r.revenue_usd, r.npv_usd):
        assert s.p5 <= s.p50 <= s.p95
    assert 0.0 <= r.probability_of_loss <= 1.0
    for band in r.bands:
        for q in (band.price_usd, band.cumulative_btc, band.cumulative_net_usd):
            assert q[0] <= q[1] <= q[2]


def test_without_volatility_or_growth_every_path_mines_the_closed_form_across_the_halving():
    net = quiet(difficulty_growth_per_year=0.0, fees_btc_per_block=0.0, start_height=1_049_000)
    r = simulate(net, FLEET, RiskSettings(paths=50, years=1, self_dilution=False, shutdown_when_unprofitable=False))
    closed = expected_btc_from_height(Hashrate(FLEET.hashrate_hs), Difficulty(net.difficulty), 365 * 86_400.0,
                                      1_049_000, subsidy_btc=net.subsidy_btc).expected_btc
    assert r.btc_mined.mean == pytest.approx(closed, rel=1e-9)
    assert r.btc_mined.p5 == pytest.approx(r.btc_mined.p95, rel=1e-12)
    assert r.revenue_usd.mean == pytest.approx(closed * net.btc_price_usd, rel=1e-9)


def test_without_volatility_the_npv_is_the_discounted_cash_flow():
    net = quiet(difficulty_growth_per_year=0.0, fees_btc_per_block=0.0, start_height=0, discount_rate_annual=0.1)
    r = simulate(net, FLEET, RiskSettings(paths=10, years=2, self_dilution=False))
    daily_btc = FLEET.hashrate_hs * 86_400 / (net.difficulty * 2**32) * 3.125
    net_day = daily_btc * net.btc_price_usd - 100 * 24 * 45
    k = math.log1p(0.1) / 365
    npv = sum(net_day * math.exp(-k * t) for t in range(730)) - FLEET.capex_usd
    assert r.npv_usd.p50 == pytest.approx(npv, rel=1e-9)
    assert r.probability_of_loss == (1.0 if npv < 0 else 0.0)


def test_self_dilution_lowers_btc_mined():
    net = quiet()
    big = Fleet(hashrate_hs=implied_hashrate_hs(net.difficulty) * 0.2, power_mw=1000, energy_price_usd_mwh=45,
                capex_usd=0)
    with_dilution = simulate(net, big, RiskSettings(paths=10, years=1))
    without = simulate(net, big, RiskSettings(paths=10, years=1, self_dilution=False))
    assert with_dilution.btc_mined.p50 < without.btc_mined.p50


def test_self_dilution_counts_the_fleets_hashrate_at_its_uptime_over_the_last_retarget_window():
    net = quiet(difficulty_growth_per_year=0.0, fees_btc_per_block=0.0, start_height=0)
    h = implied_hashrate_hs(net.difficulty) * 0.1
    part_time = Fleet(hashrate_hs=h, power_mw=1000, energy_price_usd_mwh=0, capex_usd=0, uptime=0.25)
    r = simulate(net, part_time, RiskSettings(paths=5, years=30 / 365, shutdown_when_unprofitable=False))
    day = 0.25 * h * 86_400 / 2**32 * 3.125
    own = 0.25 * h * 600 / 2**32  # a retarget sees the fleet's mean hashrate, a quarter of its running one
    # the difficulty of day t carries the mean of the last 14 days' hashing (none before day 0)
    closed = sum(day / (net.difficulty + own * min(t, 14) / 14) for t in range(30))
    assert r.btc_mined.mean == pytest.approx(closed, rel=1e-9)


def test_a_fleet_dilutes_the_difficulty_only_on_the_days_it_runs():
    net = quiet(difficulty_growth_per_year=0.0, fees_btc_per_block=0.0, start_height=0)
    h = implied_hashrate_hs(net.difficulty) * 0.1
    th_day = h / 1e12 * 24  # TH-hours of a full day
    runs = np.array([1.0 if t % 2 == 0 else 0.0 for t in range(30)])  # the grid lets it run every other day
    prof = DailyProfile(runs * 100 * 24, runs * th_day)
    fleet = Fleet(hashrate_hs=h, power_mw=100, energy_price_usd_mwh=0, capex_usd=0, uptime=0.5, profile=prof)
    r = simulate(net, fleet, RiskSettings(paths=3, years=30 / 365, shutdown_when_unprofitable=False))
    own_day = h * 600 / 2**32
    closed = 0.0
    for t in range(30):
        window = runs[max(0, t - 14):t].sum()  # only the days it ran count in the retarget's average
        closed += runs[t] * h * 86_400 / 2**32 * 3.125 / (net.difficulty + own_day * window / 14)
    assert r.btc_mined.mean == pytest.approx(closed, rel=1e-9)
    assert r.share_of_days_mining == pytest.approx(0.5)  # the days the grid gives it nothing are not mining days


def test_zero_drift_keeps_the_mean_price_near_the_start_price():
    r = simulate(NET, FLEET, RiskSettings(paths=4000, years=1, seed=3))
    last = r.bands[-1]
    assert last.day == 364
    # median of a martingale GBM after a year: P0 * exp(-sigma^2 / 2)
    assert last.price_usd[1] == pytest.approx(NET.btc_price_usd * math.exp(-0.5 * 0.5**2), rel=0.05)


def test_a_price_crash_halves_revenue_of_a_fleet_that_never_stops():
    always_on = RiskSettings(paths=500, years=1, seed=7, shutdown_when_unprofitable=False)
    base = simulate(NET, FLEET, always_on)
    crash = simulate(NET, FLEET, RiskSettings(paths=500, years=1, seed=7, price_shock=-0.5,
                                              shutdown_when_unprofitable=False))
    assert crash.revenue_usd.p50 == pytest.approx(base.revenue_usd.p50 * 0.5, rel=1e-9)


def test_a_price_crash_lowers_npv_and_raises_the_chance_of_loss():
    base = simulate(NET, FLEET, SMALL)
    crash = simulate(NET, FLEET, RiskSettings(paths=500, years=1, seed=7, price_shock=-0.5))
    assert crash.npv_usd.p50 < base.npv_usd.p50
    assert crash.probability_of_loss >= base.probability_of_loss
    assert crash.share_of_days_mining < base.share_of_days_mining


def test_a_fleet_whose_energy_costs_more_than_it_earns_switches_off_and_loses_only_its_capex():
    dear = Fleet(FLEET.hashrate_hs, FLEET.power_mw, energy_price_usd_mwh=10_000, capex_usd=FLEET.capex_usd)
    r = simulate(quiet(), dear, RiskSettings(paths=20, years=1))
    assert r.btc_mined.p95 == 0 and r.share_of_days_mining == 0
    assert r.npv_usd.p50 == pytest.approx(-FLEET.capex_usd)
    assert r.probability_of_loss == 1.0


def test_switching_off_on_losing_days_never_lowers_the_npv():
    stop = simulate(NET, FLEET, SMALL)
    run = simulate(NET, FLEET, RiskSettings(paths=500, years=1, seed=7, shutdown_when_unprofitable=False))
    assert stop.npv_usd.p5 >= run.npv_usd.p5 and stop.npv_usd.p50 >= run.npv_usd.p50


def test_the_halving_day_pays_half_from_its_block_on():
    net = NET.with_changes(start_height=1_050_000 - 72)
    s = daily_subsidy(net, 3)
    assert list(s) == [pytest.approx(3.125 * 0.75), 1.5625, 1.5625]


@pytest.mark.parametrize("settings, field", [
    (RiskSettings(paths=0), "paths"), (RiskSettings(years=-1), "years"), (RiskSettings(price_shock=-1.0), "price_shock"),
])
def test_bad_settings_are_refused_naming_the_field(settings, field):
    with pytest.raises(InputError) as exc:
        simulate(NET, FLEET, settings)
    assert field in {i.path for i in exc.value.issues}


def test_difficulty_tied_to_hashprice_grows_slower_after_a_price_crash():
    net = quiet(difficulty_growth_per_year=0.25, fees_btc_per_block=0.0)
    always_on = RiskSettings(paths=20, years=1, seed=5, price_shock=-0.5, shutdown_when_unprofitable=False)
    independent = simulate(net, FLEET, always_on)
    tied = simulate(net.with_changes(difficulty_hashprice_elasticity=1.0), FLEET, always_on)
    # hashprice starts 50 % below its reference: miners add less hashrate, so the same fleet mines more
    assert tied.btc_mined.p50 > independent.btc_mined.p50
    # with hashprice at its start (no shock, no growth, no noise) the tie has nothing to answer to
    still = quiet(difficulty_growth_per_year=0.0, fees_btc_per_block=0.0)
    no_shock = RiskSettings(paths=20, years=1, seed=5, shutdown_when_unprofitable=False)
    assert simulate(still.with_changes(difficulty_hashprice_elasticity=1.0), FLEET, no_shock).btc_mined.p50 == \
        pytest.approx(simulate(still, FLEET, no_shock).btc_mined.p50, rel=1e-9)
    # and growth that outruns the price lowers hashprice, which slows the growth it ties to
    grow = RiskSettings(paths=20, years=1, seed=5, shutdown_when_unprofitable=False)
    assert simulate(net.with_changes(difficulty_hashprice_elasticity=1.0), FLEET, grow).btc_mined.p50 > \
        simulate(net, FLEET, grow).btc_mined.p50


def test_an_elasticity_out_of_range_is_refused():
    with pytest.raises(InputError, match="difficulty_hashprice_elasticity"):
        NET.with_changes(difficulty_hashprice_elasticity=-1.0)
