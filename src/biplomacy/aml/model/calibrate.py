"""Fitting the rules' thresholds, windows and amount ceilings to labelled accounts.

Each typology rule is run over a small grid of (minimum count, window, amount ceiling as a quantile of the
data set's amounts); every other rule is tried on or off. The accounts an alert names count as flagged, and
the rules are chosen together, greedily, two passes in the registry's order: each rule takes the setting
(or off) that makes the union of all rules' flagged accounts score best on the objective: F1, or the recall
at a precision floor (among settings that reach the floor; the precision where none does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import numpy as np

from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.features import flagged_accounts
from biplomacy.aml.model.rules import RULES, Rule
from biplomacy.aml.model.thresholds import INF, Thresholds
from biplomacy.aml.model.transactions import Transactions

QUANTILES = (0.005, 0.01, 0.02, 0.05, 1.0)
DAYS = (1.0, 3.0, 7.0, 30.0, 90.0)
# rule -> (its count field, the counts tried, its window field, its ceiling field)
GRID: dict[str, tuple[str, tuple[int, ...], str, str]] = {
    "fan_in": ("fan_in_min_counterparties", (2, 3, 4, 6, 8), "fan_in_window_hours", "fan_in_max_amount"),
    "fan_out": ("fan_out_min_counterparties", (2, 3, 4, 6, 8), "fan_out_window_hours", "fan_out_max_amount"),
    "cycles": ("cycle_max_length", (5,), "cycle_window_hours", "cycle_max_amount"),
    "unordered_cycle": ("unordered_cycle_max_length", (5,), "unordered_cycle_window_hours",
                        "unordered_cycle_max_amount"),
    "scatter_gather": ("scatter_gather_min_paths", (2, 3, 4), "scatter_gather_window_hours",
                       "scatter_gather_max_amount"),
    "gather_scatter": ("gather_scatter_min_counterparties", (2, 3, 5), "gather_scatter_window_hours",
                       "gather_scatter_max_amount"),
    "bipartite": ("bipartite_min_shared", (2, 3, 4), "bipartite_window_hours", "bipartite_max_amount"),
    "stack": ("stack_min_accounts", (2, 3, 5), "stack_window_hours", "stack_max_amount"),
    "random": ("random_min_hops", (3, 4, 6), "random_window_hours", "random_max_amount"),
}
PATH_RULES = {"cycles", "unordered_cycle", "scatter_gather", "gather_scatter", "bipartite", "stack", "random"}


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    flagged: int
    positives: int

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "flagged": self.flagged, "positives": self.positives}


def score(flagged: np.ndarray, positive: np.ndarray) -> Score:
    tp = int((flagged & positive).sum())
    f, p = int(flagged.sum()), int(positive.sum())
    return Score(tp / f if f else 0.0, tp / p if p else 0.0, 2 * tp / (f + p) if f + p else 0.0, f, p)


def objective(floor: float | None) -> Callable[[Score], tuple[float, ...]]:
    """The key a setting is ranked by (higher is better): F1, or (reaches the floor, recall, precision)."""
    if floor is None:
        return lambda s: (s.f1, s.precision)
    return lambda s: (1.0, s.recall, s.precision) if s.precision >= floor else (0.0, s.precision, s.recall)


def pr_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Average precision (the area under the precision-recall curve, step-wise as scikit-learn computes it)."""
    if not positive.any():
        return 0.0
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], positive[order]
    tp = np.cumsum(y)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the end of each run of equal scores
    precision = tp[last] / (last + 1)
    recall = tp[last] / y.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def settings(name: str, tx: Transactions, base: Thresholds) -> list[tuple[Thresholds, float]]:
    """A rule's grid: (thresholds, amount quantile) pairs. Path searches with no amount ceiling stay within 3 days
    (a month of every transfer is too many paths)."""
    count_f, counts, window_f, ceiling_f = GRID[name]
    out = []
    for k, days, q in product(counts, DAYS, QUANTILES):
        if name in PATH_RULES and q == 1.0 and days > 3:
            continue
        ceiling = INF if q == 1.0 else float(np.quantile(tx.amount, q))
        changes: dict[str, Any] = {count_f: k, window_f: days * 24.0, ceiling_f: ceiling}
        out.append((replace(base, **changes), q))
    return out


def fit(tx: Transactions, accounts: Sequence[str], positive: Iterable[str], base: Thresholds,
        sanctioned: frozenset[str], floor: float | None = None,
        progress: Callable[[str], None] = lambda _: None) -> tuple[Thresholds, dict[str, float], dict[str, Any]]:
    """The fitted thresholds, each typology rule's amount quantile, and per rule its setting's own score."""
    index = {a: i for i, a in enumerate(accounts)}
    pos = np.zeros(len(accounts), dtype=bool)
    pos[[index[a] for a in positive if a in index]] = True
    rank = objective(floor)
    options: dict[str, list[tuple[Thresholds | None, float, np.ndarray]]] = {}
    for rule in RULES:
        progress(rule.name)
        tried = settings(rule.name, tx, base) if rule.name in GRID else [(base, 1.0)]
        options[rule.name] = [(None, 1.0, np.zeros(len(accounts), dtype=bool))]
        for th, q in tried:
            options[rule.name].append((th, q, _flags(rule, tx, th, sanctioned, index)))
    chosen = {r.name: 0 for r in RULES}
    for _ in range(2):
        for rule in RULES:
            others = np.zeros(len(accounts), dtype=bool)
            for r in RULES:
                if r.name != rule.name:
                    others |= options[r.name][chosen[r.name]][2]
            chosen[rule.name] = max(range(len(options[rule.name])),
                                    key=lambda i: rank(score(others | options[rule.name][i][2], pos)))
    fitted: dict[str, Any] = {}
    disabled: list[str] = []
    quantiles: dict[str, float] = {}
    for rule in RULES:
        picked, q, flags = options[rule.name][chosen[rule.name]]
        if picked is None:
            disabled.append(rule.name)
            continue
        if rule.name in GRID:
            count_f, _, window_f, ceiling_f = GRID[rule.name]
            kept: dict[str, Any] = {f: getattr(picked, f) for f in (count_f, window_f, ceiling_f)}
            base = replace(base, **kept)
            quantiles[rule.name] = q
        fitted[rule.name] = score(flags, pos).as_dict()
    return replace(base, disabled=tuple(disabled)), quantiles, fitted


def _flags(rule: Rule, tx: Transactions, th: Thresholds, sanctioned: frozenset[str],
           index: dict[str, int]) -> np.ndarray:
    out = np.zeros(len(index), dtype=bool)
    hit = [index[a] for a in flagged_accounts(rule.scan(tx, th, sanctioned)) if a in index]
    out[hit] = True
    return out


def flags_of(alerts: Sequence[Alert], accounts: Sequence[str]) -> np.ndarray:
    """Which of `accounts` some alert names (learned alerts included: they are the profile's verdict)."""
    named = {a for al in alerts for a in al.accounts}
    return np.asarray([a in named for a in accounts], dtype=bool)


def alert_scores(alerts: Sequence[Alert], accounts: Sequence[str]) -> np.ndarray:
    """Each account's highest alert score (0 when none names it): the ranking PR-AUC reads."""
    best: dict[str, float] = {}
    for al in alerts:
        for a in al.accounts:
            best[a] = max(best.get(a, 0.0), al.score)
    return np.asarray([best.get(a, 0.0) for a in accounts])
