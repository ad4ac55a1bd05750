"""Benchmark: the AML batch scan on a local Dask cluster (supervise aml scan --workers N) over a folder of Parquet
partitions from bench/gen_aml_parts.py: wall time, throughput and each worker's peak memory (its process's
maximum resident set, read on the worker at the end), with the load average before and after; progress (chunks
done per stage, with times) to stdout as it goes. Results are appended to bench/RESULTS-scale.md under
"AML batch" by hand (another helper's sections share that file).

Run: .venv/bin/python bench/bench_aml_scale.py FOLDER --workers 1 2 [--in-process]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def _peak_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu_s() -> float:
    """CPU seconds this worker process has used (user + system): the machine is shared, so the rate per
    CPU-second is the figure that carries to a dedicated worker."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(folder: Path, workers: int) -> dict[str, object]:
    from biplomacy.aml.scan import scan_paths
    from biplomacy.house.cluster import Engine, connect

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    last = [t0, 0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] > 30:
            print(f"  {now - t0:7.0f} s: {done}/{total} chunks of this stage", flush=True)
            last[0] = now

    with connect(Engine(workers=workers)) as client:
        assert client is not None
        import biplomacy.aml.scan_cluster as sc

        # the bench's own cluster, reached by address, so that the workers' peak memory can be read at the end
        start = time.perf_counter()
        result = sc.scan_on_cluster([folder], None, Engine(scheduler=client.scheduler.address),
                                    *_sanctions_and_thresholds(), progress=progress)
        wall = time.perf_counter() - start
        peaks = sorted(client.run(_peak_kib).values())
        cpu = sum(client.run(_cpu_s).values())
    n = result.summary.transactions
    assert scan_paths  # the in-process path is timed by --in-process
    return {"workers": workers, "transactions": n, "wall_s": wall, "tx_per_s": n / wall,
            "peak_worker_mib": [p // 1024 for p in peaks], "alerts": result.summary.alerts,
            "worker_cpu_s": cpu, "tx_per_worker_cpu_s": n / cpu,
            "load_before": load0, "load_after": os.getloadavg()[0]}


def _sanctions_and_thresholds() -> tuple[tuple[str, frozenset[str]], object]:
    from biplomacy.aml.scan import shipped_sanctions, thresholds

    sdn = shipped_sanctions()
    return (sdn.name, sdn.addresses), thresholds()


def in_process(folder: Path) -> dict[str, object]:
    from biplomacy.aml.scan import scan_paths

    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    r = scan_paths([folder], None)
    wall = time.perf_counter() - t
    return {"workers": 0, "transactions": r.summary.transactions, "wall_s": wall,
            "tx_per_s": r.summary.transactions / wall, "peak_worker_mib": [_peak_kib() // 1024],
            "alerts": r.summary.alerts, "load_before": load0, "load_after": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--in-process", action="store_true")
    a = ap.parse_args()
    for w in a.workers:
        print(f"{time.strftime('%H:%M:%S')} workers {w}: start", flush=True)
        print(run(a.folder, w), flush=True)
    if a.in_process:
        print(in_process(a.folder), flush=True)


if __name__ == "__main__":
    main()
