"""Cut the small AMLSim fixture shipped in tests/aml/data/ from a public AMLSim sample (rerun to regenerate).

Keeps every account labelled isFraud and N unlabelled accounts drawn at random (seed 1), the transfers between
two kept accounts in the sample's own layout (sourceNodeId, targetNodeId, value, time), and nodes.csv cut to
the kept accounts that have a transfer in the cut.

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
    with (args.sample / "transactions.csv").open(newline="") as f:
        r = csv.reader(f)
        tx_header = next(r)
        transfers = [row for row in r if row[0] in kept and row[1] in kept]
    seen = {a for row in transfers for a in row[:2]}
    with (args.out / "transactions.csv").open("w", newline="") as g:
        csv.writer(g).writerows([tx_header, *transfers])
    with (args.out / "nodes.csv").open("w", newline="") as f:  # only accounts with a transfer in the cut
        csv.writer(f).writerows([header, *(row for row in kept_rows if row[0] in seen)])


if __name__ == "__main__":
    main()
