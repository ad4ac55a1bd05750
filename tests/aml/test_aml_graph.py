"""The vectorised graph primitives keep time order: a pattern whose legs run backwards in time is no pattern."""

import numpy as np
import pytest

from biplomacy.aml.model.graph import _packed, account_codes
from biplomacy.aml.model.rules import cycles, pass_through, sanctioned_exposure
from biplomacy.aml.scan import thresholds
from tests.aml.test_aml_rules import CLEAN, table


def test_a_cycle_whose_legs_run_backwards_in_time_is_not_a_cycle():
    backwards = [(9, "k1", "k2", 9000, "ExA"), (5, "k2", "k3", 8900, "ExB"), (1, "k3", "k1", 8800, "ExC")]
    assert cycles.scan(table(CLEAN + backwards), thresholds(), frozenset()) == []


def test_a_cycle_slower_than_the_window_is_not_raised():
    slow = [(1, "k1", "k2", 9000, "A"), (40, "k2", "k3", 8900, "A"), (80, "k3", "k1", 8800, "A")]  # 79 h > 72 h
    assert cycles.scan(table(CLEAN + slow), thresholds(), frozenset()) == []


def test_a_four_leg_cycle_is_reported_once_with_its_path():
    legs = [(1, "a", "b", 5000, "A"), (2, "b", "c", 4900, "B"), (3, "c", "d", 4800, "A"), (4, "d", "a", 4700, "C")]
    [alert] = cycles.scan(table(CLEAN + legs), thresholds(), frozenset())
    assert alert.rule == "cross_vasp_cycle" and alert.evidence["path"] == ["a->b", "b->c", "c->d", "d->a"]


def test_paying_out_before_the_money_came_in_is_not_pass_through():
    assert pass_through.scan(table(CLEAN + [(3, "mule", "b", 4900, "B"), (5, "a", "mule", 5000, "A")]),
                        thresholds(), frozenset()) == []


def test_exposure_names_the_nearest_sanctioned_address_once_per_account():
    rows = CLEAN + [(1, "SDN1", "x", 100, "A"), (2, "x", "y", 100, "A"), (3, "SDN2", "y", 100, "A")]
    alerts = sanctioned_exposure.scan(table(rows), thresholds(), frozenset({"SDN1", "SDN2"}))
    got = {a.accounts[0]: (a.accounts[1], a.evidence["hops"]) for a in alerts}
    assert got == {"x": ("SDN1", 1), "y": ("SDN2", 1)}


@pytest.mark.parametrize("alphabet, longest", [("0123456789", 6), ("abcXYZ019_:-", 9), ("abcé", 5), ("ab", 12)])
def test_account_codes_are_numpys_whichever_way_they_are_encoded(alphabet, longest):
    """Short ASCII names go through one integer each, others through pyarrow; both are np.unique's answer."""
    rng = np.random.default_rng(len(alphabet) + longest)
    names = ["".join(rng.choice(list(alphabet), rng.integers(1, longest + 1))) for _ in range(3000)]
    accounts = np.asarray([names[i] for i in rng.integers(0, len(names), 50_000)])
    assert (_packed(accounts) is not None) == (alphabet.isascii() and longest <= 9)
    codes = account_codes(accounts)
    expected = np.unique(accounts, return_inverse=True)
    assert codes[0].tolist() == expected[0].tolist() and codes[1].tolist() == expected[1].tolist()
