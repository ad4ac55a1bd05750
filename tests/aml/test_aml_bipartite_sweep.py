"""bipartite counted per receiver pair apart, then swept (what the cluster scan does), against the one loop over
every sender pair in order that the rule used to be: the same alerts, on random streams of sender pairs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.rules import bipartite
from biplomacy.aml.model.thresholds import Thresholds


def one_loop(pairs: list[bipartite.Pair], th: Thresholds) -> list[Alert]:
    """The rule's former scan loop, verbatim but for its input: skip a pair whose receivers are both raised."""
    shared: dict[str, bipartite.Shared] = {}
    raised: set[str] = set()
    alerts: list[Alert] = []
    for r1, r2, sender, t1, t2 in pairs:
        if r1 == r2 or (r1 in raised and r2 in raised):
            continue
        alert = bipartite._add(shared.setdefault(min(r1, r2), {}), r1, r2, sender, (t1, t2), th)
        if alert is not None:
            alerts.append(alert)
            raised |= {r1, r2}
    return alerts


pair = st.tuples(st.sampled_from("ABCDE"), st.sampled_from("ABCDE"), st.sampled_from("stuvwxyz"))


@settings(max_examples=300, deadline=None)
@given(st.lists(pair, max_size=120), st.integers(min_value=1, max_value=4))
def test_counting_receiver_pairs_apart_then_sweeping_gives_the_one_loop_alerts(raw, min_shared) -> None:  # type: ignore[no-untyped-def]
    th = Thresholds(bipartite_min_shared=min_shared)
    pairs = [(r1, r2, s, f"t{2 * i}", f"t{2 * i + 1}") for i, (r1, r2, s) in enumerate(raw)]
    expected = one_loop(pairs, th)
    assert [a.to_json() for a in bipartite.sweep(bipartite.candidates(pairs, th))] == [a.to_json() for a in expected]
    # counted in two halves of the first receivers, as two buckets would, then merged by place
    halves = [[p if min(p[0], p[1]) in half else ("Z", "Z", "", "", "") for p in pairs] for half in ("AB", "CDE")]
    merged = sorted([c for h in halves for c in bipartite.candidates(h, th)], key=lambda c: c[0])
    assert [a.to_json() for a in bipartite.sweep(merged)] == [a.to_json() for a in expected]
