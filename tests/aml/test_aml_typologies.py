"""The standard typologies (AMLSim's and AMLworld's set) as rules: each fires on its planted pattern, stays quiet
on a clean control, and its streaming form raises what its batch form raises."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from biplomacy.aml.model import features
from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.rules import RULES, scan, streaming
from biplomacy.aml.model.stream_state import StreamState
from biplomacy.aml.model.transactions import concat, from_columns
from biplomacy.aml.scan import read_columns, thresholds
from tests.aml.test_aml_rules import CLEAN, table
from tests.aml.test_aml_stream import rows_of

FIXTURE = Path(__file__).parent / "data" / "amlsim-20K_fanin200-cut"

SCATTER_GATHER = [(0, "sgA", "sgM1", 500, "A"), (1, "sgA", "sgM2", 500, "A"), (2, "sgA", "sgM3", 500, "A"),
                  (5, "sgM1", "sgB", 480, "A"), (6, "sgM2", "sgB", 480, "A"), (7, "sgM3", "sgB", 480, "A")]
GATHER_SCATTER = [(0, "gsP1", "gsG", 300, "A"), (1, "gsP2", "gsG", 300, "A"), (2, "gsP3", "gsG", 300, "A"),
                  (4, "gsG", "gsQ1", 290, "A"), (5, "gsG", "gsQ2", 290, "A"), (6, "gsG", "gsQ3", 290, "A")]
BIPARTITE = [(h, f"bS{i}", f"bR{j}", 200, "A") for i in range(3) for j, h in ((1, 3 * i), (2, 3 * i + 1))]
STACK = [(0, "stA", "stM1", 700, "A"), (1, "stA", "stM2", 700, "A"), (2, "stA", "stM3", 700, "A"),
         (5, "stM1", "stE1", 650, "A"), (6, "stM2", "stE2", 650, "A"), (7, "stM3", "stE3", 650, "A")]
RANDOM = [(2 * h, f"rw{h}", f"rw{h + 1}", 100 - h, "A") for h in range(6)]


@pytest.mark.parametrize(("rule", "rows", "account"), [
    ("scatter_gather", SCATTER_GATHER, "sgA"), ("gather_scatter", GATHER_SCATTER, "gsG"),
    ("bipartite", BIPARTITE, "bR1"), ("stack", STACK, "stA"), ("random", RANDOM, "rw6")])
def test_each_typology_fires_on_its_pattern_and_not_on_a_clean_control(rule, rows, account):
    hits = [a for a in scan(table(CLEAN + rows), thresholds()) if a.rule == rule]
    assert hits and account in hits[0].accounts
    assert not [a for a in scan(table(CLEAN), thresholds()) if a.rule == rule]


def test_an_amount_ceiling_keeps_a_typology_to_the_laundering_band():
    """Fitted profiles look at the amounts laundering uses (AMLSim's fan-in sends the lowest percentile)."""
    th = replace(thresholds(), scatter_gather_max_amount=450.0)
    assert not [a for a in scan(table(CLEAN + SCATTER_GATHER), th) if a.rule == "scatter_gather"]


def test_a_ring_paid_in_any_time_order_is_an_unordered_cycle_when_a_profile_switches_it_on():
    """AMLSim's older samples: each leg of a ring is a burst on a day of its own, in no particular order."""
    ring = [(24 * 5, "u1", "u2", 11.5, "A"), (24 * 2, "u2", "u3", 11.5, "A"), (24 * 9, "u3", "u4", 11.5, "A"),
            (24 * 1, "u4", "u1", 11.5, "A")]
    shipped = scan(table(CLEAN + ring), thresholds())
    assert not [a for a in shipped if a.rule in ("cycle", "unordered_cycle")]  # off in v3; cycles needs time order
    on = replace(thresholds(), disabled=())
    [hit] = [a for a in scan(table(CLEAN + ring), on) if a.rule == "unordered_cycle"]
    assert set(hit.accounts) == {"u1", "u2", "u3", "u4"} and len(hit.transactions) == 4
    apart = replace(on, unordered_cycle_window_hours=24 * 7.0)  # legs 8 days apart: not one ring in 7 days
    assert not [a for a in scan(table(CLEAN + ring), apart) if a.rule == "unordered_cycle"]


def test_a_slow_walk_is_not_a_random_typology():
    slow = [(30 * h, f"rw{h}", f"rw{h + 1}", 100, "A") for h in range(6)]  # 30 h between hops, window 24 h
    assert not [a for a in scan(table(CLEAN + slow), thresholds()) if a.rule == "random"]


def flagged_by_rule(alerts):
    out: dict[str, set[str]] = {}
    for a in alerts:
        out.setdefault(a.rule, set()).add(a.accounts[0])
    return out


def stream(tx, th):
    state = StreamState(th, frozenset())
    alerts = []
    for t in rows_of(tx):
        alerts += state.apply(t, streaming(th))
    return alerts


def test_streaming_typologies_agree_with_batch_on_generated_traffic_with_planted_patterns():
    planted = table(SCATTER_GATHER + GATHER_SCATTER + BIPARTITE + STACK + RANDOM)
    tx = concat([(from_columns(generate(6000, 3, 3).columns, "g"), "g"), (planted, "p")])
    th = replace(thresholds(), disabled=("pass_through", "peel_chain", "sanctioned_exposure"))
    batch, streamed = flagged_by_rule(scan(tx, th)), flagged_by_rule(stream(tx, th))
    for rule in ("scatter_gather", "gather_scatter", "bipartite", "stack", "random", "unordered_cycle"):
        assert batch.get(rule), rule
        assert batch[rule] == streamed[rule], rule


@pytest.fixture(scope="module")
def amlsim():
    return from_columns(read_columns(FIXTURE / "transactions.csv"), "fixture")


def fitted_like(tx):
    """Settings of the kind a calibration picks on AMLSim's daily steps: low amounts, long windows, small counts."""
    low = float(np.quantile(tx.amount, 0.05))
    return replace(thresholds(), fan_in_min_counterparties=2, fan_in_window_hours=2160.0, fan_in_max_amount=low,
                   cycle_window_hours=720.0, cycle_max_amount=low, scatter_gather_min_paths=2,
                   scatter_gather_window_hours=168.0, gather_scatter_min_counterparties=2, stack_min_accounts=2,
                   bipartite_min_shared=2, bipartite_window_hours=720.0, bipartite_max_amount=low,
                   random_min_hops=3, random_window_hours=168.0, unordered_cycle_max_amount=low,
                   disabled=("pass_through", "peel_chain", "sanctioned_exposure"))


def test_on_public_amlsim_data_stream_and_batch_flag_the_same_accounts_per_rule(amlsim):
    th = fitted_like(amlsim)
    batch, streamed = flagged_by_rule(scan(amlsim, th)), flagged_by_rule(stream(amlsim, th))
    assert batch.get("fan_in")
    assert batch == streamed


def test_streamed_account_features_end_where_the_batch_features_are(amlsim):
    th = fitted_like(amlsim)
    grid = features.amount_grid(amlsim.amount)
    state, book = StreamState(th, frozenset()), features.TraitBook(grid)
    for t in rows_of(amlsim):
        book.update(t.ts, t.src, t.dst, t.amount, state.apply(t, streaming(th)))
    names, x = features.batch(amlsim, grid, scan(amlsim, th))
    streamed = np.asarray([book.get(n).vector() for n in names.tolist()])
    for j, f in enumerate(features.FEATURES):
        assert np.allclose(streamed[:, j], x[:, j]), f


def test_every_rule_is_registered_once_with_both_forms():
    assert len({r.name for r in RULES}) == len(RULES) == 14
    assert all(callable(r.scan) and callable(r.score) for r in RULES)
