"""Explaining many learned alerts at once: LightGBM's own TreeSHAP, asked once per distinct way through each tree.

The learned scorer explains each raised account by the features that moved its score most, from LightGBM's
per-feature contributions (Booster.predict(pred_contrib=True): path-dependent TreeSHAP). Asked row by row, that
was three quarters of a learned batch scan (bench/RESULTS-aml.md, 2026-12-06): 17,114 raised accounts of a
1,000,000-transfer scan took 4.4 s of CPU. Yet what TreeSHAP gives a row in one tree depends on nothing but the
row's decision (left or right) at each of that tree's splits. So, tree by tree, the rows are grouped by their
decisions, LightGBM is asked for one row of each group and that tree alone (start_iteration, num_iteration=1),
and each row adds its group's answer: on that scan 267 groups a tree on average, a tenth of the CPU.

Adding tree by tree sums the same terms in another order than one call of LightGBM does, so a contribution can
differ from that call's in its last bits (at most 3e-14 there). Where that could change what an analyst reads (two
of the top contributions within TIE of each other, one within TIE of zero or of a rounding step of the 4 places
shown), the row is asked of LightGBM whole: the top features, their order and their rounded values are those of
one call, always (tests/aml/test_aml_learned_explain.py checks them against it).

Only models whose every split is a numeric `<=` with no special handling of missing values (what calibrate trains
on finite features) are grouped this way; any other model is asked row by row, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GROUPED_FROM = 64  # fewer rows than this: one call of LightGBM is cheaper than one call per tree
TIE = 1e-9  # far above the re-ordering error (~1e-14), far below a difference an analyst could read
ROUND = 4  # places of a contribution shown
ZERO = 1e-35  # LightGBM's kZeroThreshold


def tree_splits(booster: Any) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each tree's (split features, thresholds), in node order; None when some split is not a plain numeric
    `<=` (categorical, or missing values sent one way), which the grouping does not reproduce."""
    trees: list[tuple[np.ndarray, np.ndarray]] = []
    for info in booster.dump_model()["tree_info"]:
        feats: list[int] = []
        thresholds: list[float] = []
        stack = [info["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_index" not in node:
                continue
            if node.get("decision_type") != "<=" or node.get("missing_type") != "None":
                return None
            feats.append(int(node["split_feature"]))
            thresholds.append(float(node["threshold"]))  # printed with 17 digits: read back exactly
            stack += [node["left_child"], node["right_child"]]
        trees.append((np.asarray(feats, dtype=np.int64), np.asarray(thresholds, dtype=float)))
    return trees


def contributions(booster: Any, splits: list[tuple[np.ndarray, np.ndarray]] | None, rows: np.ndarray,
                  top: int) -> tuple[np.ndarray, np.ndarray]:
    """TreeSHAP contributions of `rows` (rows x features, the base value dropped), summed tree by tree over the
    groups of rows that decide alike, and which rows were asked of LightGBM whole (where the sum could show
    differently from one call when the `top` largest are shown, or every row when the model or the rows are not
    grouped)."""
    if splits is None or len(rows) < GROUPED_FROM or not np.isfinite(rows).all():
        return whole(booster, rows), np.arange(len(rows))
    rows = np.ascontiguousarray(rows, dtype=float)
    # LightGBM reads a dense matrix's values within 1e-35 of zero as zero (c_api.cpp, RowFunctionFromDenseMatric)
    seen = np.where(np.abs(rows) <= ZERO, 0.0, rows)
    phi = np.zeros((len(rows), rows.shape[1] + 1))
    for tree, (feats, thresholds) in enumerate(splits):
        if not len(feats):  # a single leaf: its value is all base, no feature moves it
            continue
        decided = seen[:, feats] <= thresholds  # LightGBM's test at each split (missing_type None, finite rows)
        if len(feats) < 63:
            key = decided @ (np.int64(1) << np.arange(len(feats), dtype=np.int64))
            _, first, group = np.unique(key, return_index=True, return_inverse=True)
        else:
            _, first, group = np.unique(decided, axis=0, return_index=True, return_inverse=True)
        one = booster.predict(rows[first], pred_contrib=True, start_iteration=tree, num_iteration=1, num_threads=1)
        phi += np.asarray(one)[group.reshape(-1)]
    out = phi[:, :-1]
    redo = np.flatnonzero(_unsure(out, top))
    if len(redo):
        out[redo] = whole(booster, rows[redo])
    return out, redo


def whole(booster: Any, rows: np.ndarray) -> np.ndarray:
    """One call of LightGBM over `rows` (its OpenMP threads only for many rows: starting them cost ~30 ms a call
    on a busy machine, forty times a single row's work; bench/RESULTS-aml.md, 2026-12-06)."""
    threads = 1 if len(rows) < 256 else 0
    return np.asarray(booster.predict(rows, pred_contrib=True, num_threads=threads))[:, :-1]


def _unsure(c: np.ndarray, top: int) -> np.ndarray:
    """Rows whose shown explanation could differ from one call's: among the top+1 largest |contributions| two
    within TIE of each other (their order, or which is shown), one within TIE of zero (its sign), or a shown one
    within TIE of the midpoint between two values of ROUND places (its rounding)."""
    size = np.sort(np.abs(c), axis=1)[:, ::-1][:, : top + 1]
    close = (np.diff(-size, axis=1) < TIE).any(axis=1) | (size[:, :top] < TIE).any(axis=1)
    shown = np.take_along_axis(c, np.argsort(-np.abs(c), axis=1)[:, :top], axis=1) * 10**ROUND
    halfway = np.abs(shown - np.floor(shown) - 0.5) < TIE * 10**ROUND
    return close | halfway.any(axis=1)
