"""Use cases: calibrate a rule profile on labelled transactions (`supervise aml calibrate`), and evaluate it
honestly on a time split (`supervise aml evaluate --split`): fitted on the earlier part, scored on the later,
never on what it was fitted on, beside a naive baseline and the uncalibrated defaults."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.aml.labels import own_positive, read_labels
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.calibrate import alert_scores, flags_of, pr_auc, score
from biplomacy.aml.model.labels import AccountLabels, population
from biplomacy.aml.model.rules import RAISES, enabled
from biplomacy.aml.model.transactions import Transactions, take
from biplomacy.aml.profiles import Loaded, account_scores, fit_profile, loaded, scan_with, write
from biplomacy.aml.results import AccountEvaluation, Calibrated, MethodScore, SplitEvaluation
from biplomacy.aml.scan import load_transactions, shipped_sanctions, thresholds
from biplomacy.core.errors import InputError


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _accounts(tx: Transactions) -> set[str]:
    return set(tx.src.tolist()) | set(tx.dst.tolist())


def calibrate_files(transactions: Sequence[Path], labels: Path, out: Path, model: str | None = None,
                    precision_floor: float | None = None,
                    progress: Callable[[str], None] = lambda _: None) -> Calibrated:
    """Fit a profile to `labels` over `transactions` and write it to `out` (with `<out>.model.txt`)."""
    if precision_floor is not None and not 0.0 < precision_floor < 1.0:
        raise InputError("must be between 0 and 1", field="precision_floor")
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a directory", field="out")
    tx = load_transactions(transactions)
    lab = read_labels(labels, tx)
    pop = population(lab, _accounts(tx), own_positive(tx), ", ".join(map(str, transactions)))
    fitted_on = {"transactions": [str(p) for p in transactions], "sha256": _digest(transactions),
                 "transfers": len(tx), "accounts": len(pop.accounts), "from": _iso(float(tx.ts.min())),
                 "to": _iso(float(tx.ts.max())), "labels": str(labels), "labels_sha256": _digest([labels]),
                 "labels_layout": lab.layout, "positives": len(pop.positive),
                 "labelled_accounts_left_out": pop.left_out}
    profile, text = fit_profile(tx, pop, thresholds(), shipped_sanctions().addresses, model, precision_floor,
                                fitted_on, progress)
    written = write(out, profile, text)
    return Calibrated(out, written.version, written.to_json()["scores"], written.to_json()["thresholds"],
                      written.amount_quantiles, written.model.file if written.model else None)


def _iso(ts: float) -> str:
    return np.datetime64(int(ts), "s").astype(str) + "Z"


def evaluate_split(transactions: Sequence[Path], labels: Path, fraction: float = 0.5, model: str | None = "gbt",
                   precision_floor: float | None = None,
                   progress: Callable[[str], None] = lambda _: None) -> SplitEvaluation:
    """Calibrate on the transfers up to `fraction` of the time span, score those after, and compare with a naive
    baseline and the uncalibrated defaults on the same later part."""
    if not 0.0 < fraction < 1.0:
        raise InputError("must be between 0 and 1 (the earlier share of the time span)", field="split")
    tx = load_transactions(transactions)
    lab = read_labels(labels, tx)
    population(lab, _accounts(tx), own_positive(tx), ", ".join(map(str, transactions)))  # the strict checks
    cut = float(tx.ts.min() + fraction * (tx.ts.max() - tx.ts.min()))
    early, late = take(tx, np.flatnonzero(tx.ts <= cut)), take(tx, np.flatnonzero(tx.ts > cut))
    if not len(early) or not len(late):
        raise InputError("the split leaves one side without transfers", field="split")
    sdn = shipped_sanctions().addresses
    fit_pop = population(lab, _accounts(early), own_positive(early), "the earlier part", strict=False)
    profile, text = fit_profile(early, fit_pop, thresholds(), sdn, model, precision_floor,
                                {"transactions": [str(p) for p in transactions], "until": _iso(cut)}, progress)
    used = loaded(profile, text, "the profile fitted on the earlier part")
    test_pop = population(lab, _accounts(late), own_positive(late), "the later part", strict=False)
    progress("scoring")
    methods = {"naive": _method(late, naive(late), None, test_pop.accounts, test_pop.positive, lab),
               "defaults": _method(late, scan_with(late, thresholds(), sdn, None), None, test_pop.accounts,
                                   test_pop.positive, lab)}
    rules_only = Loaded(profile, None, "rules")
    methods["calibrated_rules"] = _method(late, scan_with(late, profile.thresholds, sdn, rules_only), None,
                                          test_pop.accounts, test_pop.positive, lab)
    if used.scorer is not None:
        alerts = scan_with(late, profile.thresholds, sdn, used)
        learned = [a for a in alerts if a.rule == "learned"]
        methods["calibrated_gbt"] = _method(late, learned, account_scores(late, [a for a in alerts
                                                                                  if a.rule != "learned"],
                                                                          used, test_pop.accounts),
                                            test_pop.accounts, test_pop.positive, lab, alerts)
    return SplitEvaluation([str(p) for p in transactions], str(labels), _iso(cut), len(early), len(late),
                           len(test_pop.accounts), len(test_pop.positive), profile.version,
                           profile.to_json()["thresholds"], profile.amount_quantiles, profile.scores, methods)


def evaluate_profile(transactions: Sequence[Path], labels: Path, profile: Path) -> AccountEvaluation:
    """Score labelled transfers (the months after a calibration) with a profile, beside the naive baseline and
    the uncalibrated defaults."""
    from biplomacy.aml.profiles import load

    used = load(profile)
    tx = load_transactions(transactions)
    lab = read_labels(labels, tx)
    pop = population(lab, _accounts(tx), own_positive(tx), ", ".join(map(str, transactions)), strict=False)
    sdn = shipped_sanctions().addresses
    alerts = scan_with(tx, used.profile.thresholds, sdn, used)
    rules = [a for a in alerts if a.rule != "learned"]
    methods = {"naive": _method(tx, naive(tx), None, pop.accounts, pop.positive, lab),
               "defaults": _method(tx, scan_with(tx, thresholds(), sdn, None), None, pop.accounts, pop.positive, lab),
               "profile_rules": _method(tx, rules, None, pop.accounts, pop.positive, lab)}
    if used.scorer is not None:
        methods["profile_gbt"] = _method(tx, [a for a in alerts if a.rule == "learned"],
                                         account_scores(tx, rules, used, pop.accounts), pop.accounts, pop.positive,
                                         lab, alerts)
    return AccountEvaluation([str(p) for p in transactions], str(labels), len(pop.accounts), len(pop.positive),
                             used.profile.version, methods)


def _method(tx: Transactions, flagged_by: Sequence[Alert], ranking: np.ndarray | None, accounts: Sequence[str],
            positive: frozenset[str], lab: AccountLabels, all_alerts: Sequence[Alert] | None = None) -> MethodScore:
    y = np.asarray([a in positive for a in accounts])
    flags = flags_of(flagged_by, accounts)
    rank = ranking if ranking is not None else alert_scores(flagged_by, accounts)
    overall = {**score(flags, y).as_dict(), "pr_auc": round(pr_auc(rank, y), 4)}
    per_rule: dict[str, Any] = {}
    for a_rule in sorted({a.rule for a in (all_alerts or flagged_by)}):
        mine = [a for a in (all_alerts or flagged_by) if a.rule == a_rule]
        per_rule[a_rule] = {**score(flags_of(mine, accounts), y).as_dict(), "alerts": len(mine)}
    by_typology: dict[str, Any] = {}
    for typ in sorted(set(lab.typology.values())):
        members = np.asarray([lab.typology.get(a) == typ and a in positive for a in accounts])
        if members.any():
            by_typology[typ] = {"positives": int(members.sum()), "recall": round(float((flags & members).sum()
                                                                                        / members.sum()), 4)}
    return MethodScore(overall, per_rule, by_typology)


def naive(tx: Transactions) -> list[Alert]:
    """The naive structural baseline: every account on a 2- or 3-account cycle of the period's payment graph (time
    and amounts ignored), and every account paid by 8 or more distinct accounts (v3's fan-in count) in it."""
    pairs = set(zip(tx.src.tolist(), tx.dst.tolist(), strict=True))
    pairs = {(a, b) for a, b in pairs if a != b}
    out: dict[str, set[str]] = {}
    payers: dict[str, set[str]] = {}
    for a, b in pairs:
        out.setdefault(a, set()).add(b)
        payers.setdefault(b, set()).add(a)
    on_cycle: set[str] = set()
    for a, b in pairs:
        if (b, a) in pairs:
            on_cycle |= {a, b}
        for c in out.get(b, ()):
            if c != a and (c, a) in pairs:
                on_cycle |= {a, b, c}
    k = thresholds().fan_in_min_counterparties
    alerts = [Alert("naive_cycle", [a], [], 0.7) for a in sorted(on_cycle)]
    alerts += [Alert("naive_fan_in", [b, *sorted(p)], [], 0.6) for b, p in sorted(payers.items()) if len(p) >= k]
    return alerts


__all__ = ["RAISES", "calibrate_files", "enabled", "evaluate_split", "naive"]
