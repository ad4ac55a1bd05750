"""Cut the small AMLSim fixture shipped in tests/aml/data/ from a public AMLSim sample (rerun to regenerate).

Keeps every account labelled isFraud and as many unlabelled accounts drawn at random (seed 1), and the
transfers between two kept accounts, in the sample's own layout (sourceNodeId, targetNodeId, value, time)
with its nodes.csv cut to the kept accounts.

    .venv/bin/python bench/cut_amlsim_fixture.py /work/data/amlsim/20K_fanin200/20K_fanin200 \
        tests/aml/data/amlsim-20K_fanin200-cut --others 1000
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sample", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--others", type=int, default=1000)
    args = ap.parse_args()
    with (args.sample / "nodes.csv").open(newline="") as f:
        nodes = list(csv.reader(f))
    header, rows = nodes[0], nodes[1:]
    fraud = [r for r in rows if r[1] == "1"]
    rest = [r for r in rows if r[1] != "1"]
    pick = np.random.default_rng(1).choice(len(rest), size=min(args.others, len(rest)), replace=False)
    kept_rows = sorted(fraud + [rest[i] for i in pick], key=lambda r: int(r[0]))
    kept = {r[0] for r in kept_rows}
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "nodes.csv").open("w", newline="") as f:
        csv.writer(f).writerows([header, *kept_rows])
    with (args.sample / "transactions.csv").open(newline="") as f, \
            (args.out / "transactions.csv").open("w", newline="") as g:
        r, w = csv.reader(f), csv.writer(g)
        w.writerow(next(r))
        w.writerows(row for row in r if row[0] in kept and row[1] in kept)


if __name__ == "__main__":
    main()
