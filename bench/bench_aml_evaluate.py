"""Time-split evaluation of AML rule profiles on public AMLSim-format data (bench/RESULTS-aml.md).

For each data set: calibrate on the transfers of the earlier half of the time span (rules and, with --model gbt,
the learned scorer), score the later half, and print precision, recall, F1 and PR-AUC on accounts for the naive
baseline, the uncalibrated defaults (thresholds v3), the calibrated rules and the calibrated learned scorer.

    .venv/bin/python bench/bench_aml_evaluate.py /work/data/amlsim/20K_fanin200/20K_fanin200 [...]

Each argument is a folder holding transactions.csv and nodes.csv (AMLSim's sample/*.tgz unpacked) or
accounts.csv; the output is one JSON line per data set and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from biplomacy.aml.calibrate import evaluate_split


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--split", type=float, default=0.5)
    ap.add_argument("--model", default="gbt")
    args = ap.parse_args()
    print(f"## AML time-split evaluation, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"Python {platform.python_version()}")
    for folder in args.folders:
        labels = folder / "nodes.csv" if (folder / "nodes.csv").exists() else folder / "accounts.csv"
        t0 = time.perf_counter()
        r = evaluate_split([folder / "transactions.csv"], labels, args.split,
                           None if args.model == "none" else args.model)
        took = time.perf_counter() - t0
        print(json.dumps({"data": str(folder), "seconds": round(took, 1), **r.to_json()}, default=str))
        print(f"\n{folder.name}: fitted on {r.fitted_transfers:,} transfers up to {r.cut}, scored "
              f"{r.scored_transfers:,} later transfers, {r.scored_accounts:,} accounts ({r.scored_positives:,} "
              f"labelled laundering); profile {r.profile_version}; {took:.0f} s\n")
        print("| method | precision | recall | F1 | PR-AUC | flagged |\n| --- | --- | --- | --- | --- | --- |")
        for name, m in r.methods.items():
            o = m.overall
            print(f"| {name} | {o['precision']} | {o['recall']} | {o['f1']} | {o['pr_auc']} | {o['flagged']} |")


if __name__ == "__main__":
    main()
