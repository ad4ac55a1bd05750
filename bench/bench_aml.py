"""Benchmark: AML batch throughput through every rule, and streaming scoring one transaction at a time.

Batch: a seeded generated set of N transfers (supervision.aml.generator, 3 VASPs, planted typologies) is
converted to the columnar table (from_columns, timed apart: file parsing is not rule work) and scanned by
every rule of the RULES registry, best of REPEATS; per-rule times from the best run. Target >= 100,000 tx/s.
Streaming (in-process): the StreamScorer that `supervise aml serve` and the portal's route use (incremental
per-rule state, each rule's streaming form in src/biplomacy/aml/model/rules/), in memory (no state directory, so no log writes), fed STREAM
transfers of a generated set in time order, one call each; sustained rate and latency percentiles. HTTP, JSON
and the append log are measured by bench/bench_aml_stream.py.
Results are appended to bench/RESULTS-aml.md with the machine and the command.

Run: .venv/bin/python bench/bench_aml.py [--transactions 1000000] [--repeats 3] [--stream 20000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from biplomacy.aml.model import graph
from biplomacy.aml.model.generator import generate
from biplomacy.aml.model.rules import RULES, enabled
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.profiles import Loaded, learned_alerts, load
from biplomacy.aml.scan import shipped_sanctions, thresholds
from biplomacy.aml.stream import StreamScorer, make_tx


def batch(n: int, repeats: int, used: Loaded | None) -> dict[str, object]:
    g = generate(n, 3, 1)
    t = time.perf_counter()
    tx = from_columns(g.columns, "generated")
    parse_s = time.perf_counter() - t
    th, sdn = (used.profile.thresholds if used else thresholds()), shipped_sanctions().addresses
    best: dict[str, float] | None = None
    alerts, best_cpu = 0, 0.0
    for _ in range(repeats):
        graph._last.clear()  # each run builds its graph afresh
        graph._band.clear()
        times, count = {}, 0
        c0 = time.process_time()
        raised = []
        for rule in enabled(th):
            t = time.perf_counter()
            found = rule.scan(tx, th, sdn)
            raised += found
            count += len(found)
            times[rule.name] = time.perf_counter() - t
        if used is not None and used.scorer is not None:  # what scan_with adds: features, scores, explained alerts
            t = time.perf_counter()
            count += len(learned_alerts(tx, raised, used, used.profile.version))
            times["learned"] = time.perf_counter() - t
        cpu = time.process_time() - c0
        if best is None or sum(times.values()) < sum(best.values()):
            best, alerts, best_cpu = times, count, cpu
    assert best is not None
    total = sum(best.values())
    return {"transactions": len(tx), "parse_s": parse_s, "rules_s": total, "tx_per_s": len(tx) / total,
            "cpu_s": best_cpu, "tx_per_cpu_s": len(tx) / best_cpu, "alerts": alerts, "per_rule": best}


def stream(n: int, used: Loaded | None) -> dict[str, object]:
    g = generate(n, 3, 2)
    c = g.columns
    txs = [make_tx(c["tx_id"][i], datetime.fromisoformat(c["timestamp"][i]), c["from_account"][i],
                   c["to_account"][i], float(c["amount"][i]), c["asset"][i], c["vasp"][i]) for i in range(len(c["tx_id"]))]
    scorer = StreamScorer(profile=used)
    lat = np.empty(len(txs))
    alerts = 0
    t0 = time.perf_counter()
    for i, tx in enumerate(txs):
        t = time.perf_counter()
        alerts += len(scorer.score(tx).alerts)
        lat[i] = time.perf_counter() - t
    wall = time.perf_counter() - t0
    return {"transactions": len(txs), "tx_per_s": len(txs) / wall, "p50_ms": float(np.percentile(lat, 50) * 1e3),
            "p99_ms": float(np.percentile(lat, 99) * 1e3), "max_ms": float(lat.max() * 1e3), "alerts": alerts}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--stream", type=int, default=20_000)
    ap.add_argument("--profile", type=Path, default=None, help="A rule profile from `aml calibrate` (its rules, "
                                                                "and its learned scorer when it has one).")
    a = ap.parse_args()
    used = load(a.profile) if a.profile is not None else None
    b = batch(a.transactions, a.repeats, used)
    s = stream(a.stream, used) if a.stream else None
    what = (f"profile {used.profile.version} ({len(enabled(used.profile.thresholds))} rules"
            f"{' + learned scorer' if used.scorer else ''})" if used else f"all {len(RULES)} rules")
    lines = [f"\n## AML, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPUs (shared), Python {sys.version.split()[0]}",
             f"Command: `.venv/bin/python bench/bench_aml.py --transactions {a.transactions} --repeats {a.repeats} "
             f"--stream {a.stream}{f' --profile {a.profile}' if a.profile else ''}`; load average {os.getloadavg()[0]:.1f}", "",
             f"- Batch, {what}, {b['transactions']:,} generated transfers: "
             f"{b['rules_s']:.2f} s wall, **{b['tx_per_s']:,.0f} tx/s** (best of {a.repeats}; target >= 100,000); "
             f"{b['cpu_s']:.2f} s CPU, {b['tx_per_cpu_s']:,.0f} tx per CPU-second; "
             f"{b['alerts']:,} alerts; parsing the columns into the table apart: {b['parse_s']:.2f} s",
             "- Per rule (s): " + ", ".join(f"{k} {v:.2f}" for k, v in b["per_rule"].items())]  # type: ignore[attr-defined]
    if s:
        lines.append(f"- Streaming in-process (StreamScorer, incremental state in memory, no log, no HTTP): {s['transactions']:,} transfers, "
                     f"**{s['tx_per_s']:,.0f} tx/s** sustained, p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, "
                     f"max {s['max_ms']:.1f} ms, {s['alerts']} alerts")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(__file__).with_name("RESULTS-aml.md")
    if not out.exists():
        out.write_text("# AML benchmarks (bench/bench_aml.py)\n")
    with out.open("a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
