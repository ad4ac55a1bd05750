"""Use cases: write a generated, labelled transaction set; score AML rules against labels (precision/recall)."""

from __future__ import annotations

import csv
from pathlib import Path

from biplomacy.aml.model.evaluate import evaluate
from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.rules import scan
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.results import Evaluation, GeneratedSet
from biplomacy.aml.scan import read_columns, shipped_sanctions, thresholds
from biplomacy.core.errors import InputError

LABEL_COLUMNS = ("tx_id", "typology", "instance")
MAX_GENERATED = 20_000_000


def generate_files(out: Path, transactions: int, vasps: int, seed: int) -> GeneratedSet:
    if not 1 <= transactions <= MAX_GENERATED:
        raise InputError(f"must be between 1 and {MAX_GENERATED:,}", field="transactions")
    if vasps < 2:
        raise InputError("must be at least 2 (cross-VASP cycles span several)", field="vasps")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory", field="out")
    g = generate(transactions, vasps, seed)
    out.mkdir(parents=True, exist_ok=True)
    cols = g.columns
    with (out / "transactions.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(list(cols))
        w.writerows(zip(*cols.values(), strict=True))
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(LABEL_COLUMNS)
        w.writerows(g.labels)
    instances: dict[str, set[str]] = {}
    for _t, typ, inst in g.labels:
        instances.setdefault(typ, set()).add(inst)
    counts = {typ: len(v) for typ, v in sorted(instances.items())}
    return GeneratedSet(len(cols["tx_id"]), len(g.labels), counts, vasps, seed,
                        (out / "transactions.csv", out / "labels.csv"))


def read_labels(path: Path) -> list[tuple[str, str, str]]:
    cols = read_columns(path, "labels")
    missing = [c for c in LABEL_COLUMNS[:2] if c not in cols]
    if missing:
        raise InputError(f"{path}: missing columns {missing} (expected tx_id, typology[, instance])", field="labels")
    inst = cols.get("instance") or [f"{t}@{i}" for i, t in enumerate(cols["tx_id"])]
    return list(zip(cols["tx_id"], cols["typology"], inst, strict=True))


def evaluate_files(transactions: Path, labels: Path) -> Evaluation:
    lab = read_labels(labels)
    tx = from_columns(read_columns(transactions), str(transactions))
    known = set(tx.tx_id.tolist())
    unknown = [t for t, _, _ in lab if t not in known]
    if unknown:
        raise InputError(f"{labels}: {len(unknown)} labelled tx_id not in {transactions} (first: {unknown[0]!r})",
                         field="labels")
    th = thresholds()
    alerts = scan(tx, th, shipped_sanctions().addresses)
    return Evaluation(evaluate(alerts, lab), len(tx), len(alerts), th.version,
                      "an alert is a true positive when one of its transactions belongs to a labelled instance of "
                      "the typology its rule detects; recall counts instances overlapped by such an alert")
