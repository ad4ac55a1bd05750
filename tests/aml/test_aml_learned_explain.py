"""The learned scorer's explanations, computed tree by tree over groups of rows that decide alike
(aml/learned_explain.py), are what one call of LightGBM's TreeSHAP shows: the same top features, in the same
order, with the same rounded contributions; and a learned scan prints exactly what it printed before."""

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from biplomacy.aml.learned import TOP
from biplomacy.aml.learned_explain import TIE, _unsure, contributions, tree_splits
from biplomacy.aml.model import features
from biplomacy.aml.model.rules import scan
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.profiles import load
from biplomacy.aml.scan import read_columns

DATA = Path(__file__).parent / "data"
TX = DATA / "amlsim-20K_fanin200-cut" / "transactions.csv"
GOLDEN = DATA / "learned-scan-golden"


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """The profile (and model) calibrated on the fixture by the code before grouped explanations, unpacked."""
    d = tmp_path_factory.mktemp("golden")
    shutil.copy(GOLDEN / "profile.json", d / "profile.json")
    (d / "profile.json.model.txt").write_bytes(gzip.decompress((GOLDEN / "profile.json.model.txt.gz").read_bytes()))
    return d / "profile.json"


def one_call(booster, rows):
    """The explanations as the scorer gave them before: one call of LightGBM, each row's top features."""
    contrib = np.asarray(booster.predict(rows, pred_contrib=True))[:, :-1]
    return [[{"feature": features.FEATURES[i], "value": round(float(row[i]), 4), "contribution": round(float(c[i]), 4)}
             for i in np.argsort(-np.abs(c))[:TOP]] for row, c in zip(rows, contrib, strict=True)]


def test_a_learned_scan_prints_what_it_printed_before(golden, cli_nodb):
    """scan.json.gz is `supervise aml scan --json` of the fixture with this profile, printed by commit b59e536
    (explanations asked of LightGBM row by row): rules, learned alerts, scores and explanations are unchanged."""
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(TX), "--profile", str(golden), "--json")
    assert r.exit_code == 0, r.stderr
    before = json.loads(gzip.decompress((GOLDEN / "scan.json.gz").read_bytes()))
    assert sum(a["rule"] == "learned" for a in before["alerts"]) == 858
    assert r.json == before


def test_grouped_contributions_are_one_calls_and_explain_alike(golden):
    used = load(golden)
    booster = used.scorer.booster
    tx = from_columns(read_columns(TX), "t")
    _, x = features.batch(tx, used.profile.amount_grid, scan(tx, used.profile.thresholds))
    rng = np.random.default_rng(7)  # and rows no account has: every feature drawn within the fixture's range
    rows = np.vstack([x, rng.random((500, x.shape[1])) * x.max(axis=0)])
    splits = tree_splits(booster)
    assert splits is not None and len(splits) == booster.num_trees()
    grouped, whole = contributions(booster, splits, rows, TOP)
    reference = np.asarray(booster.predict(rows, pred_contrib=True))[:, :-1]
    assert np.abs(grouped - reference).max() < TIE / 100
    assert len(whole) < len(rows) / 10  # nearly every row is grouped, not asked whole
    assert used.scorer.explain_many(rows) == one_call(booster, rows)


def test_rows_that_could_show_otherwise_are_flagged():
    fine = [0.5, -0.3, 0.2, 0.1, 0.05, 0.01, 0.0]
    tie = [0.5, -0.5 + TIE / 10, 0.2, 0.1, 0.05, 0.01, 0.0]  # the order of the first two
    sixth = [0.5, -0.3, 0.2, 0.1, 0.05, 0.05 - TIE / 10, 0.0]  # which is shown fifth
    few = [0.5, -0.3, 0.2, 0.1, 0.0, 0.0, 0.0]  # fewer than five move it: zeros' order, and a sign near zero
    halfway = [0.5, -0.3, 0.20005, 0.1, 0.05, 0.01, 0.0]  # rounds either way at 4 places
    flagged = _unsure(np.asarray([fine, tie, sixth, few, halfway]), TOP)
    assert flagged.tolist() == [False, True, True, True, True]


def test_a_model_that_sends_missing_values_one_way_is_explained_by_one_call(tmp_path):
    """A model trained on data with missing values has splits that send them one way, which the grouping does
    not reproduce: every row is asked whole, so the answer is still LightGBM's."""
    import lightgbm as lgb

    rng = np.random.default_rng(1)
    x = rng.random((400, 4))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    x[rng.random(x.shape) < 0.2] = np.nan
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1}, lgb.Dataset(x, y), 10)
    assert tree_splits(booster) is None
    out, whole = contributions(booster, None, x, 3)
    assert len(whole) == len(x)
    assert np.array_equal(out, np.asarray(booster.predict(x, pred_contrib=True))[:, :-1])


def test_one_row_explained_through_the_c_api_is_one_calls_explanation(golden):
    """A stream explains one row at a time (LightGBM's single-row C API): the same as one call of LightGBM."""
    used = load(golden)
    tx = from_columns(read_columns(TX), "t")
    _, x = features.batch(tx, used.profile.amount_grid, scan(tx, used.profile.thresholds))
    rows = x[np.argsort(-used.scorer.predict(x))[:200]]  # the accounts most likely raised, and so explained
    assert [used.scorer.explain(r) for r in rows] == one_call(used.scorer.booster, rows)
