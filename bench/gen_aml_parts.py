"""Write a partitioned AML transaction set of any size (100 M transfers and more) as a folder of Parquet parts,
one part in memory at a time (aml/model/generator_parts.py), in the layout `supervise aml scan` reads
(docs/aml.md, "A folder of Parquet partitions"); the planted typologies' labels go to labels/part-NNNNN.csv.

Run: .venv/bin/python bench/gen_aml_parts.py OUT --transactions 100000000 [--part-size 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from biplomacy.aml.model.generator_parts import part


def write(out: Path, transactions: int, part_size: int, vasps: int = 3, seed: int = 1,
          accounts: int | None = None, log: bool = False, parts: range | None = None) -> list[Path]:
    """Write the set's parts (`parts`: only those, e.g. one machine's share; a part is the same wherever made)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    n_parts = max(1, -(-transactions // part_size))
    n_acct = accounts if accounts is not None else max(100, transactions // 4)
    paths = []
    t0 = time.perf_counter()
    for p in parts if parts is not None else range(n_parts):
        size = min(part_size, transactions - p * part_size)
        made = part(p, size, n_acct, vasps, seed)
        path = out / f"part-{p:05d}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.table({k: pa.array(v.tolist(), pa.string()) for k, v in made.columns.items()}), tmp)
        tmp.replace(path)
        with (out / "labels" / f"part-{p:05d}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["tx_id", "typology", "instance"])
            w.writerows(made.labels)
        paths.append(path)
        if log:
            print(f"part {p + 1}/{n_parts} written, {time.perf_counter() - t0:.0f} s", flush=True)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--transactions", type=int, default=100_000_000)
    ap.add_argument("--part-size", type=int, default=1_000_000)
    ap.add_argument("--vasps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--parts", default=None, help="FIRST:END: write only parts FIRST to END-1 (several writers)")
    a = ap.parse_args()
    first, end = map(int, a.parts.split(":")) if a.parts else (0, -(-a.transactions // a.part_size))
    write(a.out, a.transactions, a.part_size, a.vasps, a.seed, log=True, parts=range(first, end))


if __name__ == "__main__":
    main()
