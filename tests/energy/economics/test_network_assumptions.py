"""The network assumptions a scenario's [network] table becomes: defaults from the registry, every problem at once."""

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.provenance import load_registry
from biplomacy.energy.model.network import NetworkAssumptions, implied_hashrate_hs


def test_defaults_come_from_the_registry():
    n = NetworkAssumptions.defaults()
    reg = load_registry()
    assert n.difficulty == reg.number("energy.network.difficulty") == 146.47e12  # the retarget of block 931,392
    assert n.subsidy_btc == 3.125 and n.halving_height == 1_050_000
    assert n.network_hashrate_hs == pytest.approx(1048e18, rel=1e-3)
    for key in NetworkAssumptions.source_keys():
        reg.get(key)  # every key a report cites exists


def test_scenario_table_overrides_and_keeps_hashrate_consistent_with_difficulty():
    n = NetworkAssumptions.from_mapping({"difficulty": "150T", "btc_price_usd": 100_000}, "scenario.toml")
    assert n.difficulty == 150e12 and n.btc_price_usd == 100_000.0
    assert n.network_hashrate_hs == implied_hashrate_hs(150e12)


def test_every_problem_in_the_network_table_is_reported_at_once():
    with pytest.raises(InputError) as exc:
        NetworkAssumptions.from_mapping(
            {"difficulty": "lots", "corr_price_fees": 2, "hashrate": 1, "start_height": 1.5, "btc_price_usd": -1},
            "scenario.toml")
    paths = {i.path for i in exc.value.issues}
    assert paths == {"scenario.toml: network.difficulty", "scenario.toml: network.corr_price_fees",
                     "scenario.toml: network.hashrate", "scenario.toml: network.start_height",
                     "scenario.toml: network.btc_price_usd"}


def test_correlations_that_are_not_a_correlation_matrix_are_refused():
    with pytest.raises(InputError, match="positive definite"):
        NetworkAssumptions.from_mapping(
            {"corr_price_difficulty": 0.9, "corr_price_fees": 0.9, "corr_difficulty_fees": -0.9}, "s.toml")
