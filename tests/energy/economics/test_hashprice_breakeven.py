"""Hashprice, the break-even power price, heat derating and payback of an ASIC."""

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.units import Difficulty, Hashrate, JPerTH
from biplomacy.energy.model.economics import asic_day, break_even_power_price_usd_kwh, derating_fraction, hashprice

D = Difficulty.parse("148.26T")


def test_hashprice_at_156_t_is_the_published_0_00040577_btc_per_ph_day_of_3_nov_2025():
    # Hashrate Index, 3 Nov 2025 (energy.network.hashprice_btc_ph_day): difficulty stood near its 156 T record and
    # fees were 0.62 % of rewards (energy.network.fee_share): f = 3.125 x 0.0062 / (1 - 0.0062)
    hp = hashprice(Difficulty.parse("156T"), 106_935, fees_btc_per_block=3.125 * 0.0062 / (1 - 0.0062))
    assert hp.btc_per_ph_day == pytest.approx(0.00040577, rel=0.01)
    assert hp.usd_per_ph_day == pytest.approx(hp.btc_per_ph_day * 106_935)


def test_break_even_power_price_is_hashprice_over_0_024_times_j_per_th_and_pue():
    hp = hashprice(D, 91_000)
    usd_th_day = hp.usd_per_ph_day / 1000
    assert break_even_power_price_usd_kwh(hp, JPerTH(17.5)) == pytest.approx(usd_th_day / (0.024 * 17.5))
    assert break_even_power_price_usd_kwh(hp, JPerTH(17.5), pue=1.05) == pytest.approx(
        usd_th_day / (0.024 * 17.5 * 1.05))


def test_at_the_break_even_price_the_margin_is_zero_and_it_never_pays_back():
    hp = hashprice(D, 91_000)
    price = break_even_power_price_usd_kwh(hp, JPerTH(15), pue=1.1)
    day = asic_day(Hashrate.parse("1PH/s"), JPerTH(15), hp, price, capex_usd=15_000, pue=1.1)
    assert day.margin_usd == pytest.approx(0, abs=1e-9)
    cheaper = asic_day(Hashrate.parse("1PH/s"), JPerTH(15), hp, price / 2, capex_usd=15_000, pue=1.1)
    assert cheaper.payback_days == pytest.approx(15_000 / cheaper.margin_usd)


def test_derating_is_linear_above_the_ambient_limit_and_never_negative():
    assert derating_fraction(35, 40) == 1.0
    assert derating_fraction(40, 40) == 1.0
    assert derating_fraction(45, 40, 0.03) == pytest.approx(0.85)
    assert derating_fraction(90, 40, 0.03) == 0.0


def test_derated_machines_earn_less_but_break_even_at_the_same_power_price():
    hp = hashprice(D, 91_000)
    full = asic_day(Hashrate.parse("1PH/s"), JPerTH(17.5), hp, 0.05, capex_usd=0)
    hot = asic_day(Hashrate.parse("1PH/s"), JPerTH(17.5), hp, 0.05, capex_usd=0, derating=0.85)
    assert hot.revenue_usd == pytest.approx(full.revenue_usd * 0.85)
    assert hot.power_kw == pytest.approx(full.power_kw * 0.85)


def test_a_pue_below_one_is_refused():
    with pytest.raises(InputError):
        break_even_power_price_usd_kwh(hashprice(D, 91_000), JPerTH(17.5), pue=0.9)
