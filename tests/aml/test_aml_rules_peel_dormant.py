"""Peel chains and dormant accounts waking: each fires on its planted pattern, not on a clean control."""

from biplomacy.aml.model.rules import RULES, dormant_wake, peel_chain
from biplomacy.aml.scan import thresholds
from tests.aml.test_aml_rules import CLEAN, rules_fired, table


def peel(hops, start=20000.0, keep=0.9):
    rows, amount = [], start
    for h in range(hops):
        rows.append((1 + 2 * h, f"w{h}", f"w{h + 1}", round(amount, 2), "A"))
        amount *= keep
    return rows


def test_both_rules_are_registered():
    names = [r.name for r in RULES]
    assert "peel_chain" in names and "dormant_wake" in names


def test_peel_chain_of_five_hops_fires_with_the_path_and_peels():
    alerts = peel_chain.scan(table(CLEAN + peel(5)), thresholds(), frozenset())
    assert len(alerts) == 1
    a = alerts[0]
    assert a.evidence["path"][0] == "w0->w1" and len(a.transactions) == 5
    assert all(p > 0 for p in a.evidence["peeled"])


def test_three_hops_are_not_a_peel_chain():
    assert "peel_chain" not in rules_fired(CLEAN + peel(3))


def test_forwarding_everything_is_not_peeling():
    assert "peel_chain" not in rules_fired(CLEAN + peel(6, keep=1.0))


def test_dormant_account_waking_with_a_large_outflow():
    rows = [(0, "x", "sleeper", 500, "A"), (24 * 120, "sleeper", "y", 15000, "A")]
    alerts = dormant_wake.scan(table(CLEAN + rows), thresholds(), frozenset())
    assert [a.accounts[0] for a in alerts] == ["sleeper"]
    assert alerts[0].evidence["silent_days"] == 120.0


def test_small_outflow_or_short_silence_is_not_dormant_wake():
    small = [(0, "x", "s1", 500, "A"), (24 * 120, "s1", "y", 200, "A")]
    short = [(0, "x", "s2", 500, "A"), (24 * 30, "s2", "y", 15000, "A")]
    fresh = [(24 * 200, "newcomer", "y", 15000, "A")]
    assert "dormant_wake" not in rules_fired(CLEAN + small + short + fresh)
