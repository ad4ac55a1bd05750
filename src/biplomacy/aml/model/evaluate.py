"""Precision and recall per typology of AML alerts against labelled transactions (planted or user-supplied).

Matching rule: an alert of rule R is a true positive when at least one of its transactions belongs to a
labelled instance of typology R (rule names and typology names are the same: structuring, fan_in, fan_out,
pass_through, cycle, cross_vasp_cycle, peel_chain, dormant_wake, sanctioned_exposure). Precision is true-
positive alerts over all alerts of R; recall is the share of labelled instances of R that at least one alert
of R overlaps. An alert that misses its own typology but overlaps another planted instance is still a false
positive; it is counted apart (on_other_planted) so that a reader sees rules that fire on neighbouring
patterns (the mule in the middle of a cycle is a real pass-through, for example), and precision_any_planted
counts those as hits too (true positives plus on_other_planted, over all alerts of R): the share of R's
alerts that point at some planted laundering, next to the strict per-typology precision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from biplomacy.aml.model.alerts import Alert


@dataclass(frozen=True)
class TypologyScore:
    """How the alerts of one rule fare against the labelled instances of its typology (shares 0..1, rounded
    to 4 places; None where there is nothing to divide by)."""

    precision: float | None
    precision_any_planted: float | None
    recall: float | None
    planted: int
    alerts: int
    true_positives: int
    detected_instances: int
    on_other_planted: int


def evaluate(alerts: Sequence[Alert], labels: Iterable[tuple[str, str, str]]) -> dict[str, TypologyScore]:
    """Per typology (in name order), the score of the rule that detects it."""
    by_tx: dict[str, list[tuple[str, str]]] = defaultdict(list)
    instances: dict[str, set[str]] = defaultdict(set)
    for tx_id, typ, inst in labels:
        by_tx[tx_id].append((typ, inst))
        instances[typ].add(inst)
    fired: dict[str, list[Alert]] = defaultdict(list)
    for a in alerts:
        fired[a.rule].append(a)
    result: dict[str, TypologyScore] = {}
    for typ in sorted(set(instances) | set(fired)):
        tp = other = 0
        found: set[str] = set()
        for a in fired.get(typ, []):
            hits = [lab for t in a.transactions for lab in by_tx.get(t, ())]
            mine = {inst for ty, inst in hits if ty == typ}
            if mine:
                tp += 1
                found |= mine
            elif hits:
                other += 1
        n_alerts, planted = len(fired.get(typ, [])), len(instances.get(typ, ()))
        result[typ] = TypologyScore(
            precision=round(tp / n_alerts, 4) if n_alerts else None,
            precision_any_planted=round((tp + other) / n_alerts, 4) if n_alerts else None,
            recall=round(len(found) / planted, 4) if planted else None,
            planted=planted, alerts=n_alerts, true_positives=tp, detected_instances=len(found), on_other_planted=other)
    return result
