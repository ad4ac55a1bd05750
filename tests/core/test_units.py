"""Exact, typed units: money and BTC never go through floats, and mixing units raises."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biplomacy.core.errors import InputError, UnitError
from biplomacy.core.units import MW, Btc, Difficulty, Hashrate, JPerTH, Money, MWh, Sats, hashrate_for, power_for


def test_btc_and_sats_convert_exactly():
    assert Btc.parse("0.5").sats == Sats(50_000_000)
    assert Btc.parse("150000 sat").amount == Decimal("0.0015")
    assert Sats(1).btc.amount == Decimal("0.00000001")


def test_btc_with_more_than_eight_decimals_is_refused():
    with pytest.raises(InputError, match="8 decimal places"):
        Btc.parse("0.123456789")


def test_floats_are_refused_for_money_and_btc():
    with pytest.raises(UnitError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        Btc(0.1)  # type: ignore[arg-type]


def test_adding_pkr_to_usd_raises():
    with pytest.raises(UnitError, match="PKR and USD|USD and PKR"):
        Money("1", "USD") + Money("1", "PKR")


def test_money_conversion_is_exact():
    assert Money("1500", "USD").convert(Decimal("281"), "PKR") == Money("421500", "PKR")
    assert Money.parse("USD 1,500.25").amount == Decimal("1500.25")


def test_mw_and_mwh_do_not_mix():
    with pytest.raises(UnitError):
        MW(1) + MWh(1)
    assert MW(2).over_hours(3) == MWh(6)


def test_hashrate_and_difficulty_parse_their_usual_spellings():
    assert Hashrate.parse("100EH/s").value == 1e20
    assert Hashrate.parse("250 PH/s").value == 2.5e17
    assert Difficulty.parse("148.26T").value == pytest.approx(1.4826e14)


@pytest.mark.parametrize("text", ["", "EH/s", "-5EH/s", "ten", "0"])
def test_bad_hashrates_name_the_problem(text):
    with pytest.raises(InputError, match="hashrate"):
        Hashrate.parse(text)


def test_zero_j_per_th_is_refused():
    with pytest.raises(InputError, match="J/TH"):
        JPerTH(0)


def test_power_and_hashrate_are_inverse():
    p = power_for(Hashrate.parse("100EH/s"), JPerTH(15))
    assert p.value == pytest.approx(1500.0)
    assert hashrate_for(p, JPerTH(15)).value == pytest.approx(1e20)


@given(st.integers(min_value=0, max_value=21_000_000 * 100_000_000))
def test_sats_round_trip_through_btc(n):
    assert Sats(n).btc.sats == Sats(n)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False),
       st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_money_addition_is_exact_and_commutative(a, b):
    assert (Money(a, "PKR") + Money(b, "PKR")).amount == a + b
    assert Money(a, "PKR") + Money(b, "PKR") == Money(b, "PKR") + Money(a, "PKR")
