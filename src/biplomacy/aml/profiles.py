"""Use cases: fit a rule profile to labelled transactions, write it and its model file, read one back (checking
its format and that its model file is the one it names), and scan with it.

A profile is written only once everything is fitted and checked, to a temporary file renamed over the old one,
so a bad input leaves the stored profile as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from biplomacy.aml.learned import Scorer, learned_alert, library, train
from biplomacy.aml.model import features
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.calibrate import fit, flags_of, pr_auc, score
from biplomacy.aml.model.labels import Population
from biplomacy.aml.model.profile import FORMAT, LearnedModel, Profile, from_json, version_of
from biplomacy.aml.model.rules import scan
from biplomacy.aml.model.thresholds import Thresholds
from biplomacy.aml.model.transactions import Transactions
from biplomacy.core.errors import InputError

MODELS = ("gbt",)


@dataclass(frozen=True)
class Loaded:
    profile: Profile
    scorer: Scorer | None
    source: str


def fit_profile(tx: Transactions, pop: Population, base: Thresholds, sanctioned: frozenset[str], model: str | None,
                floor: float | None, fitted_on: dict[str, Any],
                progress: Callable[[str], None] = lambda _: None) -> tuple[Profile, str | None]:
    """The profile fitted to `pop`'s labels over `tx`, and its model file's text (None without a model)."""
    if model is not None and model not in MODELS:
        raise InputError(f"{model!r} is not a learned model this Biplomacy trains (one of {', '.join(MODELS)})",
                         field="model")
    th, quantiles, per_rule = fit(tx, pop.accounts, pop.positive, base, sanctioned, floor, progress)
    grid = features.amount_grid(tx.amount)
    alerts = scan(tx, th, sanctioned)
    y = np.asarray([a in pop.positive for a in pop.accounts])
    scores: dict[str, Any] = {"rules": score(flags_of(alerts, pop.accounts), y).as_dict(), "per_rule": per_rule,
                              "on": "the labelled data it was fitted on (in-sample; see aml evaluate for a time split)"}
    text, learned = None, None
    if model is not None:
        progress("gbt")
        x = _rows(tx, grid, alerts, pop.accounts)
        trained = train(x, y, pop.accounts, floor)
        text = trained.text
        learned = LearnedModel(model, library(), "", hashlib.sha256(text.encode()).hexdigest(), features.FEATURES,
                               trained.threshold)
        scores["model_out_of_fold"] = {**trained.oof.as_dict(), "pr_auc": round(trained.oof_pr_auc, 4)}
    created = datetime.now(UTC).isoformat(timespec="seconds")
    body = Profile("", created, th, tuple(grid), quantiles, fitted_on,
                   {"metric": "f1" if floor is None else "recall_at_precision", "precision_floor": floor},
                   scores, learned).to_json()
    version = version_of(body)
    return replace(from_json({**body, "version": version}, "fitted profile"), version=version), text


def _rows(tx: Transactions, grid: Sequence[float], alerts: Sequence[Alert], accounts: Sequence[str]) -> np.ndarray:
    names, x = features.batch(tx, grid, alerts)
    where = {a: i for i, a in enumerate(names.tolist())}
    return x[[where[a] for a in accounts]]


def write(out: Path, profile: Profile, model_text: str | None) -> Profile:
    """Write the profile (and its model file, `<out>.model.txt`) atomically; returns it as written."""
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a directory", field="out")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent} does not exist", field="out")
    if model_text is not None and profile.model is not None:
        model_path = out.with_name(out.name + ".model.txt")
        profile = replace(profile, model=replace(profile.model, file=model_path.name))
        _atomic(model_path, model_text)
    _atomic(out, json.dumps(profile.to_json(), indent=1) + "\n")
    return profile


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path) -> Loaded:
    """A profile file and its model, checked: format, fields, and the model file's SHA-256 against the profile's."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", field="profile")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON rule profile ({exc})", field="profile") from None
    profile = from_json(doc, str(path))
    if profile.model is None:
        return Loaded(profile, None, str(path))
    model_path = path.with_name(profile.model.file)
    if not profile.model.file or not model_path.is_file():
        raise InputError(f"{path}: its model file {model_path} is missing", field="profile")
    text = model_path.read_text(encoding="utf-8")
    return loaded(profile, text, str(path))


def loaded(profile: Profile, model_text: str | None, source: str) -> Loaded:
    """A profile with its model's text, checked against the SHA-256 the profile names."""
    if profile.model is None:
        return Loaded(profile, None, source)
    digest = hashlib.sha256((model_text or "").encode()).hexdigest()
    if digest != profile.model.sha256:
        raise InputError(f"{source}: the model file {profile.model.file} does not match the profile (SHA-256 "
                         f"{digest[:12]}..., the profile names {profile.model.sha256[:12]}...): a model of another "
                         "calibration?", field="profile")
    try:
        scorer = Scorer(model_text or "", profile.model.threshold, profile.version)
    except InputError:
        raise
    except Exception as exc:  # LightGBM raises its own error type for a damaged model
        raise InputError(f"{source}: the model file {profile.model.file} is not a readable model ({exc})",
                         field="profile") from None
    return Loaded(profile, scorer, source)


def scan_with(tx: Transactions, th: Thresholds, sanctioned: frozenset[str], used: Loaded | None) -> list[Alert]:
    """Every enabled rule's alerts, then (with a learned scorer) a learned alert per account at or above its
    threshold, explained; every alert names the profile in force."""
    alerts = scan(tx, th, sanctioned)
    version = used.profile.version if used is not None else th.version
    learned = learned_alerts(tx, alerts, used, version) if used is not None else []
    return [replace(a, profile=version) for a in alerts] + learned


def learned_alerts(tx: Transactions, alerts: Sequence[Alert], used: Loaded, version: str) -> list[Alert]:
    """The learned scorer's alerts over `tx` given the rules' `alerts` (none without a learned scorer): every
    account's features and score, and an explanation only for the accounts it raises."""
    if used.scorer is None or not len(tx):
        return []
    names, x = features.batch(tx, used.profile.amount_grid, alerts)
    p = used.scorer.predict(x)
    hits = np.flatnonzero(p >= used.scorer.threshold)
    return raised_alerts(zip(names[hits].tolist(), p[hits].tolist(), used.scorer.explain_many(x[hits]), strict=True),
                         alerts, used.scorer.threshold, version)


def raised_alerts(hits: Iterable[tuple[str, float, list[dict[str, Any]]]], alerts: Sequence[Alert],
                  threshold: float, version: str) -> list[Alert]:
    """A learned alert per raised (account, probability, top features), in the order given, each naming the
    rules whose alerts name the account (in-process and on a cluster alike)."""
    hits = list(hits)
    naming: dict[str, list[str]] = {acct: [] for acct, _, _ in hits}
    for a in alerts:
        for acct in a.accounts:
            if acct in naming:
                naming[acct].append(a.rule)
    return [learned_alert(acct, pi, top, naming[acct], threshold, version) for acct, pi, top in hits]


def account_scores(tx: Transactions, alerts: Sequence[Alert], used: Loaded | None,
                   accounts: Sequence[str]) -> np.ndarray | None:
    """The learned probability of each of `accounts` (None without a learned scorer): PR-AUC's ranking."""
    if used is None or used.scorer is None:
        return None
    names, x = features.batch(tx, used.profile.amount_grid, alerts)
    where = {a: i for i, a in enumerate(names.tolist())}
    p = used.scorer.predict(x)
    return np.asarray([p[where[a]] if a in where else 0.0 for a in accounts])


__all__ = ["FORMAT", "Loaded", "account_scores", "fit_profile", "learned_alerts", "load", "loaded", "pr_auc", "raised_alerts", "scan_with", "write"]
