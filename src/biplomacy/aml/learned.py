"""The learned scorer of a rule profile: gradient-boosted trees (LightGBM) over the accounts' graph and time
features (model/features.py), trained on labelled accounts by `calibrate --model gbt`.

Its threshold is chosen on out-of-fold predictions (4 folds by a hash of the account name, so the same data
gives the same model), never on the accounts it was fitted on; each raised account is explained by the
features that moved its score most (LightGBM's per-feature contributions, SHAP values for trees). The rules
stay the evidence: a learned alert lists the rule alerts that name the account or its counterparties.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from biplomacy.aml.learned_explain import contributions, tree_splits, whole
from biplomacy.aml.model.alerts import Alert
from biplomacy.aml.model.calibrate import Score, objective, pr_auc, score
from biplomacy.aml.model.features import FEATURES, LEARNED
from biplomacy.core.errors import InputError

# max_depth bounds TreeSHAP's cost per explained account (it grows with the square of the depth)
PARAMS: dict[str, Any] = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 5,
                          "min_data_in_leaf": 20, "feature_fraction": 0.9, "verbose": -1, "num_threads": 1, "seed": 1,
                          "deterministic": True}
ROUNDS = 150
FOLDS = 4
TOP = 5  # features named per learned alert
_UNREAD = object()


def library() -> str:
    import lightgbm

    return f"lightgbm {lightgbm.__version__}"


@dataclass(frozen=True)
class Trained:
    text: str  # LightGBM's model file
    threshold: float
    oof: Score
    oof_pr_auc: float


def train(x: np.ndarray, y: np.ndarray, accounts: Sequence[str], floor: float | None) -> Trained:
    import lightgbm as lgb

    if y.sum() < FOLDS or (~y).sum() < FOLDS:
        raise InputError(f"too few labelled accounts to train a model ({int(y.sum())} positive, "
                         f"{int((~y).sum())} negative; at least {FOLDS} of each)", field="labels")
    fold = np.asarray([int(hashlib.sha256(a.encode()).hexdigest()[:8], 16) % FOLDS for a in accounts])
    oof = np.zeros(len(y))
    for k in range(FOLDS):
        b = lgb.train(PARAMS, lgb.Dataset(x[fold != k], y[fold != k].astype(int), feature_name=list(FEATURES)), ROUNDS)
        oof[fold == k] = b.predict(x[fold == k])
    rank = objective(floor)
    threshold = max((round(float(t), 3) for t in np.linspace(0.05, 0.95, 91)),
                    key=lambda t: rank(score(oof >= t, y)))
    booster = lgb.train(PARAMS, lgb.Dataset(x, y.astype(int), feature_name=list(FEATURES)), ROUNDS)
    return Trained(booster.model_to_string(), threshold, score(oof >= threshold, y), pr_auc(oof, y))


class Scorer:
    """A trained model loaded for scoring: whole matrices (batch) and one row at a time (streaming).

    One row goes through LightGBM's C API for single rows (LGBM_BoosterPredictForMatSingleRowFast, c_api.h:
    the configuration is prepared once), about four times faster than Booster.predict on a 1-row matrix,
    whose checks and conversions cost more than the trees; the answers are the same (tested)."""

    def __init__(self, text: str, threshold: float, version: str):
        import lightgbm as lgb

        self.booster = lgb.Booster(model_str=text)
        self.text, self.threshold, self.version = text, threshold, version
        if tuple(self.booster.feature_name()) != FEATURES:
            raise InputError(f"the model's features {self.booster.feature_name()} are not this Biplomacy's "
                             f"{list(FEATURES)}", field="profile")
        self._fast = _FastRow(self.booster)
        self._fast_contrib: _FastRow | None = None  # made on the first explain() (a stream's)
        self._splits: object = _UNREAD

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Whole matrices (a batch scan) on every core; one row at a time is predict_one."""
        return np.asarray(self.booster.predict(x, num_threads=0))

    def predict_one(self, row: list[float]) -> float:
        return self._fast.predict(row)

    def explain(self, row: np.ndarray) -> list[dict[str, float | str]]:
        """The TOP features that moved this account's score most, with their value and contribution (one row, as
        a stream explains: LightGBM's C API for one row, the same contributions as explain_many's)."""
        if self._fast_contrib is None:
            self._fast_contrib = _FastRow(self.booster, contrib=True)
        return _shown(row.reshape(1, -1), self._fast_contrib.contributions(row).reshape(1, -1))[0]

    def explain_many(self, rows: np.ndarray) -> list[list[dict[str, float | str]]]:
        """explain() for many rows: their contributions grouped tree by tree (learned_explain.py), the same as
        one call of LightGBM would show."""
        if not len(rows):
            return []
        if self._splits is _UNREAD:  # read on the first batch: a stream explains one row at a time
            self._splits = tree_splits(self.booster)
        contrib, asked_whole = contributions(self.booster, self._splits, rows, TOP)  # type: ignore[arg-type]
        return _shown(rows, contrib, asked_whole)


def _shown(rows: np.ndarray, contrib: np.ndarray, asked_whole: np.ndarray | None = None
           ) -> list[list[dict[str, float | str]]]:
    """Each row's TOP features by |contribution|, with value and contribution rounded to 4 places."""
    top = np.argsort(-np.abs(contrib), axis=1)[:, :TOP]
    for i in (asked_whole.tolist() if asked_whole is not None else range(len(rows))):
        top[i] = np.argsort(-np.abs(contrib[i]))[:TOP]  # asked of LightGBM row by row before: its ties as they were
    values = np.take_along_axis(rows, top, axis=1).tolist()
    moved = np.take_along_axis(contrib, top, axis=1).tolist()
    return [[{"feature": FEATURES[i], "value": round(v, 4), "contribution": round(c, 4)}
             for i, v, c in zip(t, vs, cs, strict=True)]
            for t, vs, cs in zip(top.tolist(), values, moved, strict=True)]


class _FastRow:
    """LightGBM's single-row prediction through its C API (a FastConfig prepared once): the probability
    (C_API_PREDICT_NORMAL) or, with `contrib`, the TreeSHAP contributions (C_API_PREDICT_CONTRIB, what
    Booster.predict(pred_contrib=True) gives, without its Python checks); Booster.predict when the installed
    package does not expose it."""

    def __init__(self, booster: Any, contrib: bool = False):
        import ctypes

        self.booster, self.n = booster, len(FEATURES)
        self.lib: Any = None
        try:
            from lightgbm.basic import _LIB, _c_str, _safe_call

            handle = ctypes.c_void_p()
            _safe_call(_LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle, ctypes.c_int(3 if contrib else 0), ctypes.c_int(0), ctypes.c_int(-1),
                ctypes.c_int(1), ctypes.c_int32(self.n), _c_str("num_threads=1"), ctypes.byref(handle)))
        except (ImportError, AttributeError):  # another LightGBM build: the ordinary path
            return
        # the row and the answer in buffers made once (filling one costs a seventh of making one); not thread-safe:
        # a stream scores under its lock
        self.lib, self.handle = _LIB, handle
        self.row: Any = (ctypes.c_double * self.n)()
        self.out = (ctypes.c_double * (self.n + 1 if contrib else 1))()
        self.out_len = ctypes.c_int64(0)
        self.ref_len = ctypes.byref(self.out_len)
        self.call = _LIB.LGBM_BoosterPredictForMatSingleRowFast

    def predict(self, row: list[float]) -> float:
        if self.lib is None:
            return float(self.booster.predict(np.asarray([row]), num_threads=1)[0])
        self.row[:] = row
        if self.call(self.handle, self.row, self.ref_len, self.out) != 0:
            raise RuntimeError("LightGBM could not score a row")
        return float(self.out[0])

    def contributions(self, row: np.ndarray) -> np.ndarray:
        """The row's per-feature contributions (the base value dropped), as whole() gives them."""
        if self.lib is None:
            return whole(self.booster, row.reshape(1, -1))[0]
        self.row[:] = row.tolist()
        if self.call(self.handle, self.row, self.ref_len, self.out) != 0:
            raise RuntimeError("LightGBM could not explain a row")
        return np.asarray(self.out[: self.n], dtype=float)

    def __del__(self) -> None:
        if getattr(self, "lib", None) is not None:
            self.lib.LGBM_FastConfigFree(self.handle)


def learned_alert(account: str, p: float, top: list[dict[str, float | str]], rules: Sequence[str],
                  threshold: float, profile: str = "") -> Alert:
    return Alert(LEARNED, [account], [], float(p),
                 {"model": "gbt", "threshold": threshold, "top_features": top, "rule_alerts": sorted(set(rules))},
                 profile)
