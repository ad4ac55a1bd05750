"""The learned scorer's chunk of the cluster scan (aml/scan_cluster.py): bucket b's own accounts scored and the
raised ones explained, exactly as the in-process scan scores them (profiles.learned_alerts).

A bucket holds every transfer into or out of the accounts it owns, so their counts, sums, percentiles, bursts and
neighbours are those of the whole table, summed in the same order (the bucket keeps the in-process order). Two
features read other buckets' accounts: `rules` and `nbr_flagged` (how many rule alerts name an account) come
from the rules' alerts, which the client gathers and writes once (RULES_FILE); `nbr_low` (a neighbour with a
transfer in the lowest percentile anywhere) comes from what every bucket wrote of its own accounts (low/).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from biplomacy.aml.model import features, partition
from biplomacy.aml.model.graph import codes
from biplomacy.aml.scan_chunks import MODEL_FILE, Job, _table, _write, read

if TYPE_CHECKING:
    from biplomacy.aml.learned import Scorer

RULES_FILE = "rule-counts"
Hit = tuple[str, float, list[dict[str, Any]]]
_LOADED: dict[str, Scorer] = {}  # per worker process: the model read once per scan's model


def write_rule_counts(job: Job, counts: dict[str, int]) -> None:
    """How many rule alerts name each account (the client's, after the rules ran), for every bucket to read."""
    import pyarrow as pa

    names = sorted(counts)
    _write(pa.table({"account": pa.array(names, pa.string()),
                     "alerts": pa.array([counts[n] for n in names], pa.int64())}),
           Path(job.scratch) / RULES_FILE / "all.parquet")


def _scorer(job: Job) -> Scorer:
    from biplomacy.aml.learned import Scorer

    assert job.learned is not None
    got = _LOADED.get(job.learned.sha256)
    if got is None:
        text = (Path(job.scratch) / MODEL_FILE).read_text(encoding="utf-8")
        _LOADED.clear()
        got = _LOADED[job.learned.sha256] = Scorer(text, job.learned.threshold, job.learned.version)
    return got


def learned(args: tuple[Job, int]) -> list[Hit]:
    """Bucket b's own accounts at or above the model's threshold: (account, probability, top features), by name."""
    job, b = args
    assert job.learned is not None
    tx, _ = _table(Path(job.scratch) / f"b{b:05d}", job)
    if not len(tx):
        return []
    names, s, d = codes(tx)
    flagged = read(Path(job.scratch) / RULES_FILE)
    rules = (features.named_counts(names, flagged["account"], flagged["alerts"]) if flagged
             else np.zeros(len(names)))
    low_names = read(Path(job.scratch) / "low", ("account",)).get("account", np.empty(0, dtype=str))
    low = np.isin(names, low_names)
    x = features.matrix(tx, job.learned.grid, names, s, d, rules, low)
    own = np.flatnonzero(partition.bucket_of(names, job.buckets) == b)
    scorer = _scorer(job)
    p = scorer.predict(x[own])
    hits = np.flatnonzero(p >= scorer.threshold)
    return list(zip(names[own[hits]].tolist(), p[hits].tolist(), scorer.explain_many(x[own[hits]]), strict=True))
