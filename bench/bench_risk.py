"""Benchmark: the risk Monte Carlo (10,000 paths x 1,825 days) against the same model as a bare NumPy loop.

Bare NumPy: the same Monte Carlo model written as a plain NumPy loop over days (same generator, same draw
order, same outputs: final P5/P50/P95 and the weekly fan-chart quantiles), with none of the validation,
dataclasses or progress hooks of biplomacy.energy.model.risk. Both run in this process, alternately, best of
REPEATS. The target is biplomacy <= 1.2x bare. Results go to bench/RESULTS-energy-risk.md.

Run: .venv/bin/python bench/bench_risk.py [--paths 10000] [--days 1825] [--repeats 3] [--scenario pakistan-2025]
The fleet is the one `biplomacy energy risk` simulates: the scenario's plan, solved before the timing.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from biplomacy.energy.model.network import NetworkAssumptions
from biplomacy.energy.model.risk import CHUNK_PATHS, Fleet, RiskSettings, simulate
from biplomacy.energy.model.scenario import load_scenario
from biplomacy.energy.risk import choose_tariff, fleet_from_plan, solved_plan_mining

RESULTS = Path(__file__).with_name("RESULTS-energy-risk.md")


def bare_numpy(net: NetworkAssumptions, fleet: Fleet, paths: int, days: int, seed: int, every: int) -> dict:
    """The model of energy/risk.py, written the plain way, in the same chunks of CHUNK_PATHS paths with the same
    seeds (chunk 0: PCG64(seed); chunk i: PCG64(SeedSequence(seed, spawn_key=(i,)))); bands from chunk 0."""
    btc, npv, bands = [], [], 0
    for i, lo in enumerate(range(0, paths, CHUNK_PATHS)):
        rng = np.random.Generator(np.random.PCG64(seed if i == 0 else np.random.SeedSequence(seed, spawn_key=(i,))))
        b, v, k = _bare_chunk(net, fleet, min(CHUNK_PATHS, paths - lo), days, rng, every)
        btc.append(b)
        npv.append(v)
        bands = bands or k
    all_btc, all_npv = np.concatenate(btc), np.concatenate(npv)
    return {"btc": np.percentile(all_btc, [5, 50, 95]), "npv": np.percentile(all_npv, [5, 50, 95]),
            "loss": float(np.mean(all_npv < 0)), "bands": bands}


def _bare_chunk(net: NetworkAssumptions, fleet: Fleet, paths: int, days: int, rng: np.random.Generator,
                every: int) -> tuple[np.ndarray, np.ndarray, int]:
    chol = np.linalg.cholesky(np.array(net.correlation_matrix()))
    dt = 1 / 365
    vol = np.array([[net.price_volatility_annual], [net.difficulty_growth_volatility_annual],
                    [net.fee_volatility_annual]]) * math.sqrt(dt)
    start = np.arange(days) * 144.0 + net.start_height
    before = np.clip(net.halving_height - start, 0, 144) / 144
    subsidy = net.subsidy_btc * (before + (1 - before) * 0.5)
    own = fleet.uptime * fleet.hashrate_hs * 600 / 2**32
    cost_day = fleet.power_mw * 24 * fleet.uptime * fleet.energy_price_usd_mwh
    disc = math.exp(-math.log1p(net.discount_rate_annual) * dt)
    log_p = np.full(paths, math.log(net.btc_price_usd))
    log_d = np.full(paths, math.log(net.difficulty))
    y = np.zeros(paths)
    btc = np.zeros(paths)
    rev = np.zeros(paths)
    pv = np.zeros(paths)
    days_on = np.zeros(paths)
    df, bands = 1.0, []
    for t in range(days):
        d_eff = np.exp(log_d) + (own if t >= 14 else 0.0)
        b = fleet.uptime * fleet.hashrate_hs * 86400 / 2**32 * (subsidy[t] + net.fees_btc_per_block * np.exp(y)) / d_eff
        p = np.exp(log_p)
        on = b * p >= cost_day  # switched off on days that do not pay their energy
        btc += b * on
        rev += b * p * on
        days_on += on
        pv += (b * p - cost_day) * on * df
        df *= disc
        if t % every == 0 or t == days - 1:
            bands.append(np.percentile(np.stack((p, btc, rev - cost_day * days_on - fleet.capex_usd)), [5, 50, 95], axis=1))
        if t < days - 1:
            s = (chol * vol) @ rng.standard_normal((3, paths))
            log_p += (net.price_drift_annual - 0.5 * net.price_volatility_annual**2) * dt + s[0]
            log_d += math.log1p(net.difficulty_growth_per_year) * dt + s[1]
            y = y * (1 - net.fee_mean_reversion_per_year * dt) + s[2]
    return btc, pv - fleet.capex_usd, len(bands)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=1825)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default="pakistan-2025")
    ap.add_argument("--workers", help="scale-out (#19): time the Monte Carlo in-process and on local Dask clusters "
                    "of these sizes (e.g. 1,2); one JSON line per run, for bench/RESULTS-scale.md")
    args = ap.parse_args()
    # the fleet `biplomacy energy risk --scenario S` simulates: the scenario's plan (solved here, not timed) at its
    # first tariff option; both runs take the same Fleet and network
    sc = load_scenario(args.scenario)
    planned, econ = solved_plan_mining(sc)
    fleet, _, _ = fleet_from_plan(econ, planned, choose_tariff(econ, None))
    net = econ.network
    settings = RiskSettings(paths=args.paths, years=args.days / 365, seed=args.seed, band_every_days=7)
    if args.workers:
        scale_runs(net, fleet, settings, [int(x) for x in args.workers.split(",")])
        return
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"
    ours, bare = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        r = simulate(net, fleet, settings)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = bare_numpy(net, fleet, args.paths, settings.days, args.seed, 7)
        bare.append(time.perf_counter() - t0)
    same = (np.allclose(b["btc"], [r.btc_mined.p5, r.btc_mined.p50, r.btc_mined.p95], rtol=1e-9)
            and np.allclose(b["npv"], [r.npv_usd.p5, r.npv_usd.p50, r.npv_usd.p95], rtol=1e-9)
            and b["loss"] == r.probability_of_loss and b["bands"] == len(r.bands))
    best_ours, best_bare = min(ours), min(bare)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, NumPy {np.__version__}"
    lines = [
        "# Energy risk: Monte Carlo benchmark",
        "",
        f"- date: {now}",
        f"- machine: {machine} (shared with other work while it ran; best of {args.repeats})",
        f"- command: `.venv/bin/python bench/bench_risk.py --paths {args.paths} --days {args.days} --repeats {args.repeats}"
        f" --scenario {args.scenario}`",
        f"- load average before the runs: {load_before}",
        f"- fleet: the {args.scenario} plan's {fleet.power_mw:,.0f} MW at uptime {fleet.uptime:.1%}, "
        f"{fleet.hashrate_hs / 1e18:,.1f} EH/s while running, USD {fleet.energy_price_usd_mwh:,.2f}/MWh, "
        f"capex USD {fleet.capex_usd / 1e6:,.0f} m",
        f"- model: {args.paths:,} paths x {settings.days:,} days, price GBM + difficulty + OU fees, correlated "
        "(Cholesky), weekly fan-chart quantiles",
        "- Bare NumPy: the same Monte Carlo model written as a plain NumPy loop over days",
        "",
        "| run | best s | all runs s |",
        "| --- | ---: | --- |",
        f"| biplomacy.energy.model.risk.simulate | {best_ours:.2f} | {', '.join(f'{x:.2f}' for x in ours)} |",
        f"| bare NumPy loop | {best_bare:.2f} | {', '.join(f'{x:.2f}' for x in bare)} |",
        "",
        f"- ratio biplomacy / bare: **{best_ours / best_bare:.2f}x** (target <= 1.2x)",
        f"- same numbers as the bare loop (same seed): {'yes' if same else 'NO'}",
        f"- peak resident memory of the process: {peak_mib:.0f} MiB (the plan solved before the timing included)",
        f"- results (seed {args.seed}): BTC mined P5/P50/P95 {r.btc_mined.p5:,.0f} / {r.btc_mined.p50:,.0f} / "
        f"{r.btc_mined.p95:,.0f}; NPV P50 USD {r.npv_usd.p50 / 1e6:,.0f} m; P(loss) {r.probability_of_loss:.1%}",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def _peak_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def scale_runs(net: NetworkAssumptions, fleet: Fleet, settings: RiskSettings, sizes: list[int]) -> None:
    """In-process, then a fresh local cluster of each size: wall time, paths/s, peak RSS of each worker; the
    figures must be equal across all runs (chunked seeds)."""
    import json

    from distributed import Client, LocalCluster

    from biplomacy.energy.risk import simulate_on
    from biplomacy.house.cluster import Engine

    def line(what: object, wall: float, result: object, peaks: list[int], load: tuple[float, ...]) -> dict:
        return {"engine": what, "paths": settings.paths, "days": settings.days, "wall_s": round(wall, 1),
                "paths_per_s": round(settings.paths / wall), "worker_peak_mib": peaks, "client_peak_mib": _peak_mib(),
                "load_start": [round(x, 2) for x in load], "load_end": [round(x, 2) for x in os.getloadavg()],
                "npv_p50": result.npv_usd.p50, "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}

    load = os.getloadavg()
    t0 = time.perf_counter()
    here = simulate(net, fleet, settings)
    print(json.dumps(line("in-process", time.perf_counter() - t0, here, [], load)), flush=True)
    for w in sizes:
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=40) as cluster, Client(cluster) as client:
            load = os.getloadavg()
            t0 = time.perf_counter()
            there = simulate_on(Engine(scheduler=cluster.scheduler_address), net, fleet, settings)
            wall = time.perf_counter() - t0
            peaks = sorted(v // 1024 for v in client.run(_worker_peak_kib).values())
        doc = line(f"{w} workers", wall, there, peaks, load)
        doc["same_as_in_process"] = there == here
        print(json.dumps(doc), flush=True)


def _worker_peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
