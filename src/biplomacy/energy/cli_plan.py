"""Commands of `biplomacy energy`: plan, plans, compare, and scenario new/show/generate-grid."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.core.errors import InputError, MigrationError

if TYPE_CHECKING:
    from biplomacy.energy.results import PlanSummary


def _render_plan(d: PlanSummary, files: list[Path]) -> None:
    table(f"Plan: {d.scenario} ({d.objective}, sizing {d.sizing})", ["zone", "mining MW", "AI MW", "mining MWh"],
          [(z.zone, f"{z.mining_mw:,.1f}", f"{z.ai_mw:,.1f}", f"{z.mining_mwh:,.0f}") for z in d.zones])
    h = d.headline
    out.print(f"Mining installed {d.mining_mw_installed:,.1f} MW; AI {d.ai_mw_installed:,.1f} MW")
    if h is not None:
        out.print(f"[bold]BTC a year, risk-adjusted: P50 {h.btc_per_year_p50:,.0f}[/bold] (P5 {h.btc_per_year_p5:,.0f}, "
                  f"P95 {h.btc_per_year_p95:,.0f}); the fleet mines on {h.share_of_days_mining:.0%} of days at "
                  f"{h.tariff}; NPV P50 USD {h.npv_usd_p50 / 1e6:,.0f} m, P(loss) {h.probability_of_loss:.1%}")
        out.print(f"[dim]{h.basis}[/dim]")
    out.print(f"BTC a year, static: {d.btc_per_year_static or 0:,.0f} "
              f"({d.expected_btc_per_year_after_self_dilution:,.0f} after self-dilution) [dim]{h.static_basis if h else ''}[/dim]")
    if d.capex is not None:
        out.print(f"Capex USD {d.capex.capex_usd / 1e6:,.0f} m: annuity USD {d.capex.annuity_usd_per_year / 1e6:,.1f} m a "
                  f"year ({d.capex.rate:.0%}, {d.capex.life_years:g} years)")
    if d.alternative is not None:
        a = d.alternative
        out.print(f"The {a.sizing} plan: {a.mining_mw_installed:,.0f} MW mining, LP objective USD "
                  f"{a.lp_objective_usd_per_year / 1e6:,.1f} m a year; the policy's gap costs USD "
                  f"{(d.cost_of_policy_gap_usd_per_year or 0) / 1e6:,.1f} m a year (static)")
    out.print(f"LP objective ({d.objective}, capex included) USD {d.lp_objective_usd_per_year:,.0f} a year; net value "
              f"at the merit order (before capex) USD {d.net_value_at_merit_order_usd_per_year:,.0f}")
    table("Tariff options: is it a subsidy? (PKR a year; static, and the risk-adjusted P5-P95)",
          ["option", "PKR/kWh", "subsidy static", "subsidy P50 (P5-P95)", "verdict"],
          [(t.name, t.pkr_per_kwh, f"{t.subsidy_pkr or 0:,.0f}",
            f"{t.subsidy_pkr_p50 or 0:,.0f} ({t.subsidy_pkr_p5 or 0:,.0f}-{t.subsidy_pkr_p95 or 0:,.0f})", t.verdict)
           for t in d.tariffs])
    for st in (d.strain, d.strain_risk_adjusted):
        if st is None:
            continue
        out.print(f"Grid strain ({st.basis}): {st.share_of_surplus_used:.1%} of the surplus used; mining in "
                  f"{st.peak_hours_with_mining or 0:,.1f} of {st.peak_hours} peak hours; "
                  f"{st.non_surplus_mwh:,.0f} MWh from non-surplus generation")
    out.print(f"Files: {', '.join(str(f) for f in files)}")
    out.print(f"Sources: {len(d.sources)} entries (biplomacy sources --pillar energy)")


def _number(value: object, signed: bool = False) -> str:
    """A figure as people read it: grouped thousands, two decimals under 100, a sign on differences."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    digits = 2 if abs(value) < 100 else 0
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


def register(app: typer.Typer) -> None:
    scenario_app = typer.Typer(help="Energy scenarios (a folder: scenario.toml + grid.csv).", no_args_is_help=True)
    app.add_typer(scenario_app, name="scenario")

    @app.command("plan")
    def plan(
        ctx: typer.Context,
        scenario: str = typer.Option("pakistan-2025", "--scenario", help="A shipped scenario's name or a folder."),
        out_dir: Path = typer.Option(None, "--out", help="Folder for allocation.csv, system.csv, charts."),
        objective: str = typer.Option("net-value", "--objective", help="net-value or min-grid-cost"),
        sizing: str = typer.Option(None, "--sizing", help="policy: install the whole cap (the 2,000 MW the policy asks "
                                   "for); pays: only what pays; default: policy where the zones can host the cap. The "
                                   "other is solved beside it."),
        time_limit: float = typer.Option(None, "--time-limit", help="Seconds each solve may take (default: no limit); "
                                         "past it the plan stops with an error saying what to change."),
        method: str = typer.Option("auto", "--method", help="simplex: HiGHS's dual simplex on the whole LP; "
                                   "benders: the installed MW by Benders decomposition (the same optimum to 5e-7; "
                                   "faster where the surplus binds in many hours); auto (default): benders where "
                                   "the surplus can bind in some hour, else simplex."),
        name: str = typer.Option(None, "--name", help="A name to find the stored plan by."),
        no_store: bool = typer.Option(False, "--no-store", help="Do not keep the plan in the database."),
        json_: bool = typer.Option(False, "--json"),
    ) -> None:
        """Plan mining and AI load per zone, hour by hour, within the cap and the surplus (HiGHS)."""
        from biplomacy.energy.plan import keep_plan, plan_scenario
        from biplomacy.energy.plan_files import check_out_dir, write_plan_files

        c = context.get(ctx)
        target = out_dir or c.settings.out_dir / "energy" / Path(scenario).name
        check_out_dir(target)
        store, not_stored = None, "--no-store" if no_store else None
        if not no_store:
            try:
                store = c.store()
            except MigrationError as exc:  # no database yet: still plan and write the files, keep nothing
                not_stored = str(exc)
                err.print(f"[yellow]the plan will not be stored: {exc}[/yellow]")
        actor = c.actor()

        def say(message: str) -> None:
            err.print(f"[dim]{message} ...[/dim]")

        solved = plan_scenario(actor, scenario, objective=objective, sizing=sizing, time_limit=time_limit,
                               progress=say, method=method)
        say("writing outputs")
        files = write_plan_files(solved, target)
        doc = solved.summary.to_json() | {"files": [str(f) for f in files]}
        if store is not None:
            doc["plan_id"] = keep_plan(store, actor, solved, out_dir=target, files=files, name=name)
        doc["stored"] = store is not None
        if not_stored:
            doc["not_stored_because"] = not_stored
        emit(doc, json_, lambda _: _render_plan(solved.summary, files))

    @app.command("plans")
    def plans(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        """List stored plans."""
        from biplomacy.energy.plan import list_plans

        rows = [{k: v for k, v in p.to_json().items() if k != "summary"}
                | {k: getattr(p.summary, k) for k in ("sizing", "mining_mw_installed", "btc_per_year_p50",
                                                      "btc_per_year_static", "expected_btc_per_year")}
                for p in list_plans(context.get(ctx).store())]
        emit(rows, json_, lambda rs: table(
            "Stored plans (a plan is a draft until adopted)",
            ["id", "name", "status", "objective", "mining MW", "BTC a year P50 (risk-adjusted)", "BTC a year (static)",
             "created"],
            [(r["id"], r["name"], r["status"], r["objective"], f"{r['mining_mw_installed']:,.0f}",
              f"{r['btc_per_year_p50']:,.0f}" if r.get("btc_per_year_p50") else "-",
              f"{r['expected_btc_per_year']:,.0f}", r["created_at"][:19]) for r in rs]))

    @app.command("adopt")
    def adopt(ctx: typer.Context, plan: str = typer.Argument(..., help="the stored plan's id or name"),
              json_: bool = typer.Option(False, "--json")) -> None:
        """Adopt a stored plan: the public pages show it; the plan adopted before becomes a draft again."""
        from biplomacy.energy.plan import adopt_plan

        c = context.get(ctx)
        p = adopt_plan(c.store(), c.actor(), plan)
        emit({"id": p.id, "name": p.name, "status": p.status, "adopted_at": p.adopted_at, "adopted_by": p.adopted_by},
             json_, lambda _: out.print(f"Plan {p.id} ({p.name}) adopted; /energy shows it."))

    @app.command("compare")
    def compare(ctx: typer.Context, a: str, b: str, json_: bool = typer.Option(False, "--json")) -> None:
        """Two stored plans side by side (ids or names)."""
        from biplomacy.energy.plan import compare_plans

        d = compare_plans(context.get(ctx).store(), a, b)
        emit(d.to_json(), json_, lambda _: table(
            f"A: {d.a.name} ({d.a.status}) vs B: {d.b.name} ({d.b.status})", ["figure", "unit", "A", "B", "B - A"],
            [(r.label, r.unit, _number(r.a), _number(r.b), _number(r.difference, signed=True)) for r in d.rows]))

    @scenario_app.command("new")
    def scenario_new(name: str, from_: str = typer.Option("pakistan-2025", "--from"),
                     directory: Path = typer.Option(Path("scenarios"), "--dir"),
                     json_: bool = typer.Option(False, "--json")) -> None:
        """Write an editable copy of a scenario to DIR/NAME."""
        from biplomacy.energy.model.scenario import resolve

        src = resolve(from_)
        target = directory / name
        if target.exists():
            raise InputError(f"{target} already exists; choose another NAME or --dir", field="NAME")
        shutil.copytree(src, target)
        toml = target / "scenario.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(f'name = "{src.name}"', f'name = "{name}"', 1),
                        encoding="utf-8")
        emit({"scenario": name, "path": str(target)}, json_,
             lambda d: out.print(f"wrote {d['path']}: edit scenario.toml and grid.csv, then "
                                 f"`biplomacy energy plan --scenario {d['path']}`"))

    @scenario_app.command("show")
    def scenario_show(name: str = typer.Argument("pakistan-2025"), json_: bool = typer.Option(False, "--json")) -> None:
        """Validate a scenario and show its zones, fleet and tariffs."""
        from biplomacy.energy.model.scenario import load_scenario

        s = load_scenario(name)
        d = {"name": s.name, "path": str(s.folder), "hours": len(s.grid.hours), "cap_mw": s.cap_mw,
             "ai_firm_mw": s.ai.firm_mw, "fleet_j_per_th": s.fleet_j_per_th,
             "zones": [z.__dict__ for z in s.zones], "tariffs": [t.__dict__ for t in s.tariffs],
             "surplus_mw": {"min": float(s.surplus_mw.min()), "mean": float(s.surplus_mw.mean())},
             "demand_gwh": round(float(s.grid.demand_mw.sum()) / 1000.0, 1),
             "peak_demand_mw": round(float(s.grid.demand_mw.max()), 1),
             "max_available_mw": round(float(s.grid.available_total_mw.max()), 1)}
        emit(d, json_, lambda d: table(f"{d['name']}: {d['hours']:,} h, cap {d['cap_mw']:,.0f} MW",
                                       ["zone", "province", "limit MW", "ramp MW/h", "AI"],
                                       [(z["name"], z["province"], z["connection_limit_mw"], z["ramp_mw_per_h"],
                                         z["ai_allowed"]) for z in d["zones"]]))

    @scenario_app.command("import-grid")
    def import_grid_cmd(directory: Path, load: Path = typer.Option(..., "--load", help="NTDC hourly system load CSV "
                                                                     "(date dd/mm/yyyy, hour 1-24, SYSLOAD MW)."),
                        mix: Path = typer.Option(None, "--mix", help="CPPA-G monthly generation by fuel CSV (month, "
                                                 "source, gwh[, fuel_cost_pkr_kwh])."),
                        json_: bool = typer.Option(False, "--json")) -> None:
        """Rewrite DIR/grid.csv from NTDC's hourly load (and CPPA-G's monthly mix): docs/energy-scenario.md."""
        from biplomacy.energy.model.grid_import import import_grid, read_generation_mix, read_ntdc_load, write_grid

        if not (directory / "scenario.toml").is_file():
            raise InputError(f"{directory} is not a scenario folder (no scenario.toml); make one with "
                             "`biplomacy energy scenario new NAME`", field="DIR")
        hours, demand = read_ntdc_load(load)
        g = import_grid(hours, demand, read_generation_mix(mix) if mix is not None else None)
        n = write_grid(directory / "grid.csv", g)
        doc = {"path": str(directory / "grid.csv"), "rows": n, "first_hour": hours[0], "last_hour": hours[-1],
               "demand_gwh": round(float(demand.sum()) / 1000.0, 3), "peak_mw": round(float(demand.max()), 1),
               "raised": list(g.raised)}
        emit(doc, json_, lambda d: out.print(f"wrote {d['rows']:,} hours ({d['first_hour']} to {d['last_hour']}), "
                                             f"{d['demand_gwh']:,.0f} GWh, peak {d['peak_mw']:,.0f} MW"
                                             + "".join(f"\n  {r}" for r in d["raised"])))

    @scenario_app.command("generate-grid")
    def generate_grid(directory: Path, seed: int = typer.Option(2025, "--seed"),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Rewrite DIR/grid.csv with the documented synthetic profile (seeded)."""
        from biplomacy.energy.model.synthetic_grid import GridShape, write_grid_csv

        if not directory.is_dir():
            raise InputError(f"{directory} is not a folder", field="DIR")
        n = write_grid_csv(directory / "grid.csv", GridShape(seed=seed))
        emit({"path": str(directory / "grid.csv"), "rows": n}, json_, lambda d: out.print(f"wrote {d['rows']} rows"))
