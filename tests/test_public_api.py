"""The curated public API: what users import is listed once, and each name is importable."""

import biplomacy

EXPECTED = {
    "MW", "MWh", "BiplomacyError", "Btc", "ChainError", "ConfigError", "Difficulty", "Fact", "Hashrate",
    "InputError", "Issue", "JPerTH", "Money", "PermissionDenied", "PolicyViolation", "Sats", "Source",
    "StoreError", "__version__", "load_registry",
}


def test_all_lists_exactly_the_curated_names():
    assert set(biplomacy.__all__) == EXPECTED
    assert len(biplomacy.__all__) == len(set(biplomacy.__all__))


def test_every_public_name_resolves():
    for name in biplomacy.__all__:
        assert getattr(biplomacy, name) is not None, name
