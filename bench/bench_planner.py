"""Benchmark: the zone planner (build + solve + write back) against the bare HiGHS solve of the same LP.

"Bare HiGHS solve" (shared/CONTRACTS.md): the same LP matrices handed to highspy directly, timing only run().
Writes bench/RESULTS-energy-plan.md. Usage: .venv/bin/python bench/bench_planner.py [--zones 10 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import time
from datetime import date
from pathlib import Path

from biplomacy.energy import planner
from biplomacy.energy.scenario import Zone, load_scenario


def scenario_with(zones: int):
    base = load_scenario("pakistan-2025")
    temps = [z.ambient_monthly_c for z in base.zones]
    made = tuple(Zone(f"zone-{i:03d}", "bench", 2000.0 / zones * 1.3, 2000.0 / zones * 0.3, 1.05 + 0.01 * (i % 5),
                      "air", temps[i % len(temps)], i % 3 == 0) for i in range(zones))
    return dataclasses.replace(base, zones=made)


def run(zones: int, repeat: int = 1) -> dict[str, float]:
    """Ours and the bare run() alternately, `repeat` times; the fastest of each (the CPU is shared)."""
    s = scenario_with(zones)
    best: dict[str, float] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        model = planner.build(s)
        t1 = time.perf_counter()
        x, obj, solve_run = planner.solve(model)
        t2 = time.perf_counter()
        result = planner.write_back(s, model, x, "net-value", obj, solve_run)
        t3 = time.perf_counter()
        # the bare solve: the same arrays to highspy, timing only run()
        _, obj_bare, bare_run = planner.solve(model)
        assert abs(obj - obj_bare) <= 1e-6 * max(1.0, abs(obj)), "the two solves disagree"
        assert result.mining_mw.shape == (zones, len(s.grid.hours))
        now = {"build": t1 - t0, "solve_total": t2 - t1, "write_back": t3 - t2, "ours": t3 - t0, "bare_run": bare_run}
        if not best or now["ours"] < best["ours"]:
            best |= {k: v for k, v in now.items() if k != "bare_run"}
        best["bare_run"] = min(best.get("bare_run", bare_run), bare_run)
    return {"zones": zones, "cols": model.num_col, "rows": model.num_row, **best,
            "ratio": best["ours"] / best["bare_run"],
            "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zones", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts (shared CPU)")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    rows = []
    for z in args.zones:
        r = run(z, args.repeat)
        rows.append(r)
        print(f"{z} zones: ours {r['ours']:.2f} s (build {r['build']:.2f}, solve {r['solve_total']:.2f}, "
              f"write-back {r['write_back']:.3f}), bare run() {r['bare_run']:.2f} s, ratio {r['ratio']:.2f}x, "
              f"peak RSS {r['maxrss_mib']:.0f} MiB", flush=True)
    lines = [
        "# Energy planner",
        "",
        f"Date {date.today().isoformat()}; machine: {platform.machine()}, 2 cores (shared), Python "
        f"{platform.python_version()}; command: `.venv/bin/python bench/bench_planner.py --zones "
        f"{' '.join(map(str, args.zones))} --repeat {args.repeat}` (fastest of the repeats; load average "
        f"{load:.1f} at the start). Zones are copies of pakistan-2025's with limits scaled to the 2,000 MW "
        "cap; 8,760 hours with ramp limits; HiGHS with 1 thread. 'Bare run()' is the same LP arrays solved by "
        "highspy directly, timing only run(); the optimum is asserted equal to 1e-6 relative.",
        "",
        "| zones | columns | rows | build s | solve (pass + run) s | write-back s | ours total s | bare run() s | ratio | peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['zones']} | {r['cols']:,} | {r['rows']:,} | {r['build']:.2f} | {r['solve_total']:.2f} | "
                     f"{r['write_back']:.3f} | {r['ours']:.2f} | {r['bare_run']:.2f} | {r['ratio']:.2f}x | "
                     f"{r['maxrss_mib']:.0f} |")
    lines += ["", "PyPSA was not run side by side: it is not a dependency and installing it in a separate "
              "environment was left for a later session.", ""]
    (Path(__file__).parent / "RESULTS-energy-plan.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
