"""The AML rules, registered once in RULES: a batch scan and a streaming scorer both run every rule in order.

Each rule is one module holding its rationale and the thresholds it reads (its docstring), its batch form
`scan(transactions, thresholds, sanctioned) -> alerts` over a whole table, and its streaming form
`score(state, arrival) -> alerts` over one transfer with the per-account state it keeps (stream_state.py),
side by side; the streaming form also keeps, in the state, what the rule needs of the transfer. It
raises what the batch form raises on the same transfers in time order, with the deliberate differences each
module and docs/aml.md name (tests/aml/test_aml_stream.py holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.rules import (
    bipartite,
    cycles,
    dormant_wake,
    fan,
    gather_scatter,
    pass_through,
    peel_chain,
    random_walk,
    sanctioned_exposure,
    scatter_gather,
    stack,
    structuring,
    unordered_cycle,
)
from biplomacy.aml.model.stream_state import StreamRule
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions

Scan = Callable[[Transactions, Thresholds, frozenset[str]], list[Alert]]


@dataclass(frozen=True)
class Rule:
    """One rule: its name (the summary's `rules`; cycles raises cycle and cross_vasp_cycle alerts), its batch
    form and its streaming form."""

    name: str
    scan: Scan
    score: StreamRule


RULES: tuple[Rule, ...] = (
    Rule("structuring", structuring.scan, structuring.score),
    Rule("fan_out", fan.scan_out, fan.score_out),
    Rule("fan_in", fan.scan_in, fan.score_in),
    Rule("pass_through", pass_through.scan, pass_through.score),
    Rule("cycles", cycles.scan, cycles.score),
    Rule("sanctioned_exposure", sanctioned_exposure.scan, sanctioned_exposure.score),
    Rule("peel_chain", peel_chain.scan, peel_chain.score),
    Rule("dormant_wake", dormant_wake.scan, dormant_wake.score),
    Rule("scatter_gather", scatter_gather.scan, scatter_gather.score),
    Rule("gather_scatter", gather_scatter.scan, gather_scatter.score),
    Rule("bipartite", bipartite.scan, bipartite.score),
    Rule("stack", stack.scan, stack.score),
    Rule("random", random_walk.scan, random_walk.score),
    Rule("unordered_cycle", unordered_cycle.scan, unordered_cycle.score),
)
STREAMING: tuple[StreamRule, ...] = tuple(r.score for r in RULES)  # what StreamState.apply runs, in this order
NAMES = frozenset(r.name for r in RULES)
# the alert names each rule raises (cycles raises two)
RAISES: dict[str, tuple[str, ...]] = {r.name: (r.name,) for r in RULES} | {"cycles": ("cycle", "cross_vasp_cycle")}


def enabled(th: Thresholds) -> tuple[Rule, ...]:
    """The rules a thresholds set (a calibrated profile) keeps switched on, in the registry's order."""
    return tuple(r for r in RULES if r.name not in th.disabled)


def streaming(th: Thresholds) -> tuple[StreamRule, ...]:
    return tuple(r.score for r in enabled(th))


def scan(tx: Transactions, th: Thresholds, sanctioned: frozenset[str] = frozenset()) -> list[Alert]:
    """Every enabled rule over a whole table, alerts in the registry's order."""
    out: list[Alert] = []
    for rule in enabled(th):
        out.extend(rule.scan(tx, th, sanctioned))
    return out

