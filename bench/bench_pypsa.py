"""Benchmark: the planner's LP built in PyPSA (linopy) beside ours: the same optimum (1e-6 relative) and the time.

PyPSA is not a project dependency: run this in a throwaway venv, from the repository root:
    python3 -m venv /tmp/pypsa-venv && /tmp/pypsa-venv/bin/pip install pypsa highspy highspy-extras
    /tmp/pypsa-venv/bin/python bench/bench_pypsa.py --zones 10
    /tmp/pypsa-venv/bin/python bench/bench_pypsa.py --zones 10 40 100 --median-surplus 1500 --method benders \
        --highs-solver hipo        # the tight case: ours by Benders, PyPSA's HiGHS by its HiPO interior point
    ... --distinct                 # every zone its own PUE (no two are one LP zone of ours)
It runs `.venv/bin/python bench/bench_planner.py --export` for the scenario arrays and `--one` for our timing in the
same run, then builds the network: a bus; a surplus generator (availability = the hour's surplus); a
non-surplus generator at the costliest fuel (our g_t); per zone an extendable mining generator with sign -1
(p_nom = M_z, p_max_pu = heat derate, marginal cost = our hourly coefficient) and, where AI is allowed, an
extendable AI generator with sign -1 dispatched at the uptime (p_min_pu = p_max_pu = uptime). PyPSA's ramp limits
are shares of p_nom and ours are MW/h, so ramps, the cap, the connection limits and the AI firm load are added as
linopy constraints. Writes its section of bench/RESULTS-energy-plan.md (below bench_planner.py's tables).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

try:
    import pandas as pd
    import pypsa
    import xarray as xr
except ImportError as exc:  # `make bench` runs every bench with the project's venv, which has no PyPSA
    raise SystemExit(f"bench_pypsa.py skipped: {exc.name} is not installed here; PyPSA runs in a throwaway venv "
                     "(see this file's docstring)") from None

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS-energy-plan.md"
MARK = "<!-- bench_pypsa.py writes below this line -->"
OURS = [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "bench" / "bench_planner.py")]


def build(d: dict) -> tuple[pypsa.Network, list[str], list[str]]:
    Z, T = d["cost_m"].shape
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(T, name="snapshot"))
    n.add("Carrier", "power")
    n.add("Bus", "grid", carrier="power")
    peak = max(float(d["surplus"].max()), 1.0)
    n.add("Generator", "surplus", bus="grid", carrier="power", p_nom=peak, p_max_pu=d["surplus"] / peak)
    # g_t is unbounded in our LP; at an optimum it never exceeds the load it relieves (at most the cap)
    n.add("Generator", "non-surplus", bus="grid", carrier="power", p_nom=float(d["cap"]),
          marginal_cost=d["cost_g"])
    mining = [f"mine-{z}" for z in range(Z)]
    # capital_cost: the machines' annuity over the horizon per installed MW (our M_z cost; a sign -1 generator's
    # capital cost is still a cost)
    n.add("Generator", mining, bus="grid", carrier="power", sign=-1.0, p_nom_extendable=True,
          p_nom_max=d["connection_limit"], p_max_pu=pd.DataFrame(d["derate"].T, columns=mining),
          marginal_cost=pd.DataFrame(d["cost_m"].T, columns=mining),
          capital_cost=d["capex"] if "capex" in d else 0.0)
    ai_zones = [z for z in range(Z) if d["ai_allowed"][z]]
    ai = [f"ai-{z}" for z in ai_zones]
    if ai and float(d["firm"]) > 0:
        n.add("Generator", ai, bus="grid", carrier="power", sign=-1.0, p_nom_extendable=True,
              p_nom_min=d["ai_pinned"][ai_zones], p_nom_max=d["connection_limit"][ai_zones],
              p_min_pu=float(d["uptime"]), p_max_pu=float(d["uptime"]))
    else:
        ai = []
    m = n.optimize.create_model(include_objective_constant=False)
    p_nom = m.variables["Generator-p_nom"]
    p = m.variables["Generator-p"]
    if bool(d.get("policy", False)):  # the policy plan installs the whole cap
        m.add_constraints(p_nom.sum() == float(d["cap"]), name="cap")
    else:
        m.add_constraints(p_nom.sum() <= float(d["cap"]), name="cap")
    for z in range(Z):
        lhs = p_nom.sel(name=f"mine-{z}") + (p_nom.sel(name=f"ai-{z}") if f"ai-{z}" in ai else 0)
        m.add_constraints(lhs <= float(d["connection_limit"][z]), name=f"connection-{z}")
    if ai:
        m.add_constraints(p_nom.sel(name=ai).sum() == float(d["firm"]), name="ai-firm")
    pm = p.sel(name=mining)
    step = pm.isel(snapshot=slice(1, None)) - pm.shift(snapshot=1).isel(snapshot=slice(1, None))
    ramp = xr.DataArray(d["ramp"], coords={"name": mining}, dims="name")
    m.add_constraints(step <= ramp, name="ramp-up")
    m.add_constraints(step >= -ramp, name="ramp-down")
    return n, mining, ai


def ours(zones: int, extra: list[str]) -> dict:
    out = subprocess.run([*OURS, "--one", str(zones), "--no-reference", *extra], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return json.loads(out.stdout.splitlines()[-1])


def run(zones: int, extra: list[str], time_limit: float, highs_solver: str = "simplex",
        method: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*OURS, "--export", tmp, "--zones", str(zones), *extra], check=True, capture_output=True,
                       cwd=ROOT)
        d = dict(np.load(Path(tmp) / f"planner-{zones}.npz"))
    mine = ours(zones, extra + (method or []))
    t0 = time.perf_counter()
    n, mining, _ = build(d)
    t1 = time.perf_counter()
    options = {"threads": 1, "output_flag": False, "time_limit": time_limit}
    if highs_solver == "hipo":  # HiGHS's HiPO interior point (highspy-extras in PyPSA's venv), no crossover
        options |= {"solver": "hipo", "run_crossover": "off", "presolve": "off", "hipo_system": "augmented",
                    "hipo_ordering": "amd"}
    status, condition = n.optimize.solve_model(solver_name="highs", **options)
    t2 = time.perf_counter()
    if status != "ok" or condition != "optimal" or not mine.get("finished", True):  # "ok" also at a time limit
        return {"zones": zones, "finished": False, "pypsa_status": f"{status} {condition}", "pypsa_build": t1 - t0,
                "pypsa_total": t2 - t0, "ours_total": mine["ours"], "ours_finished": mine.get("finished", True),
                "rows": int(n.model.ncons), "cols": int(n.model.nvars)}
    objective = float(n.model.objective.value)
    rel = abs(objective - mine["objective"]) / abs(mine["objective"])
    assert rel <= 1e-6, f"PyPSA optimum {objective} vs ours {mine['objective']}"
    flows = n.generators_t.p[mining].to_numpy()
    ramp_violation = float((np.abs(np.diff(flows, axis=0)) - d["ramp"][None, :]).max())
    return {"zones": zones, "pypsa_build": t1 - t0, "pypsa_solve": t2 - t1, "pypsa_total": t2 - t0,
            "ours_total": mine["ours"], "objective": objective, "ours_objective": mine["objective"], "rel_gap": rel,
            "ramp_violation": ramp_violation, "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rows": int(n.model.ncons), "cols": int(n.model.nvars)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zones", type=int, nargs="+", default=[10])
    ap.add_argument("--median-surplus", type=float, help="the tight case: as bench_planner.py --median-surplus")
    ap.add_argument("--sizing", choices=("policy", "pays"), default="policy")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds for each solve (PyPSA's and ours)")
    ap.add_argument("--highs-solver", choices=("simplex", "hipo"), default="simplex", help="PyPSA's HiGHS: its "
                    "defaults (simplex), or HiPO without crossover (needs highspy-extras in PyPSA's venv)")
    ap.add_argument("--method", choices=("simplex", "benders"), default="simplex", help="ours: bench_planner.py "
                    "--method (benders for the tight case)")
    ap.add_argument("--distinct", action="store_true", help="every zone its own PUE (bench_planner.py --distinct)")
    args = ap.parse_args()
    extra = ["--sizing", args.sizing, "--time-limit-ours", str(args.time_limit)] + \
        (["--median-surplus", str(args.median_surplus)] if args.median_surplus is not None else []) + \
        (["--distinct"] if args.distinct else [])
    load = os.getloadavg()
    rows = []
    for z in args.zones:
        r = run(z, extra, args.time_limit, args.highs_solver, ["--method", args.method])
        rows.append(r)
        if not r.get("finished", True):
            print(f"{z} zones: not finished (PyPSA {r['pypsa_status']}, {r['pypsa_total']:.0f} s; ours finished: "
                  f"{r['ours_finished']})", flush=True)
            continue
        print(f"{z} zones: PyPSA {r['pypsa_total']:.2f} s (model {r['pypsa_build']:.2f}, solve {r['pypsa_solve']:.2f}), "
              f"ours {r['ours_total']:.2f} s, ratio {r['pypsa_total'] / r['ours_total']:.1f}x, gap {r['rel_gap']:.1e}",
              flush=True)
    lines = [MARK, "", "## PyPSA side by side" + (", every zone distinct (--distinct)" if args.distinct else ""), "",
             f"Date {date.today().isoformat()}; pypsa {pypsa.__version__}; command (from the repository root, in a "
             "throwaway venv: `python3 -m venv /tmp/pypsa-venv && /tmp/pypsa-venv/bin/pip install pypsa highspy"
             + (" highspy-extras" if args.highs_solver == "hipo" else "") + "`): "
             f"`/tmp/pypsa-venv/bin/python bench/bench_pypsa.py --zones {' '.join(map(str, args.zones))}"
             f"{' '.join([''] + extra[:2])}"
             + (f" --median-surplus {args.median_surplus:g}" if args.median_surplus is not None else "")
             + f" --time-limit {args.time_limit:g}"
             + (f" --highs-solver {args.highs_solver}" if args.highs_solver != "simplex" else "")
             + (f" --method {args.method}" if args.method != "simplex" else "")
             + (" --distinct" if args.distinct else "") + "` (load "
             f"average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start). The same scenario arrays "
             "(exported by bench_planner.py) as a PyPSA network plus linopy constraints for the MW/h ramps, cap, "
             "connection limits and AI firm load (bench/bench_pypsa.py's docstring has the mapping); PyPSA's HiGHS "
             + ("with its HiPO interior point (no crossover)" if args.highs_solver == "hipo" else "with its defaults")
             + " and 1 thread. 'Ours' is bench_planner.py's build + solve + write-back"
             + (" by --method benders" if args.method == "benders" else "")
             + ", run by this bench in the same run. The optimum is asserted equal to ours to 1e-6 relative.", "",
             "| zones | PyPSA rows | PyPSA columns | PyPSA model s | PyPSA solve s | PyPSA total s | ours total s | "
             "PyPSA / ours | PyPSA optimum | ours | relative gap | max ramp excess MW | PyPSA peak RSS MiB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if not r.get("finished", True):
            lines.append(f"| {r['zones']} | {r['rows']:,} | {r['cols']:,} | {r['pypsa_build']:.2f} | not finished "
                         f"({r['pypsa_status']}) | > {r['pypsa_total']:.0f} | "
                         + (f"{r['ours_total']:.2f}" if r["ours_finished"] else f"> {r['ours_total']:.0f} (not finished)")
                         + " | - | - | - | - | - | - |")
            continue
        lines.append(f"| {r['zones']} | {r['rows']:,} | {r['cols']:,} | {r['pypsa_build']:.2f} | "
                     f"{r['pypsa_solve']:.2f} | {r['pypsa_total']:.2f} | {r['ours_total']:.2f} | "
                     f"{r['pypsa_total'] / r['ours_total']:.1f}x | {r['objective']:,.2f} | {r['ours_objective']:,.2f} | "
                     f"{r['rel_gap']:.1e} | {max(r['ramp_violation'], 0.0):.1e} | {r['maxrss_mib']:.0f} |")
    old = RESULTS.read_text(encoding="utf-8")
    head = old[:old.index(MARK)] if MARK in old else old.rstrip("\n") + "\n\n"
    RESULTS.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
