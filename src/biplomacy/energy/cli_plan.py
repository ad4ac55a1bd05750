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
    table(f"Plan: {d.scenario} ({d.objective})", ["zone", "mining MW", "AI MW", "mining MWh"],
          [(z.zone, f"{z.mining_mw:,.1f}", f"{z.ai_mw:,.1f}", f"{z.mining_mwh:,.0f}") for z in d.zones])
    out.print(f"Mining installed {d.mining_mw_installed:,.1f} MW; AI {d.ai_mw_installed:,.1f} MW; "
              f"expected {d.expected_btc_per_year:,.1f} BTC a year "
              f"({d.expected_btc_per_year_after_self_dilution:,.1f} after self-dilution)")
    out.print(f"Net value at the merit order USD {d.net_value_at_merit_order_usd_per_year:,.0f} a year (BTC less "
              f"each hour's mining MWh along the merit order); LP objective ({d.objective}) "
              f"USD {d.lp_objective_usd_per_year:,.0f} a year")
    table("Tariff options: is it a subsidy?", ["option", "PKR/kWh", "subsidy PKR/yr", "verdict"],
          [(t.name, t.pkr_per_kwh, f"{t.subsidy_vs_marginal_pkr:,.0f}", t.verdict) for t in d.tariffs])
    st = d.strain
    out.print(f"Grid strain: {st.share_of_surplus_used:.1%} of the surplus used; load added in "
              f"{st.peak_hours_with_added_load} of {st.peak_hours} peak hours; "
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

        solved = plan_scenario(actor, scenario, objective=objective, progress=say)
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
                | {k: getattr(p.summary, k) for k in ("mining_mw_installed", "expected_btc_per_year")}
                for p in list_plans(context.get(ctx).store())]
        emit(rows, json_, lambda rs: table("Stored plans (a plan is a draft until adopted)",
                                           ["id", "name", "status", "objective", "mining MW", "BTC a year", "created"],
                                           [(r["id"], r["name"], r["status"], r["objective"],
                                             f"{r['mining_mw_installed']:,.0f}", f"{r['expected_btc_per_year']:,.0f}",
                                             r["created_at"][:19]) for r in rs]))

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
             "surplus_mw": {"min": float(s.surplus_mw.min()), "mean": float(s.surplus_mw.mean())}}
        emit(d, json_, lambda d: table(f"{d['name']}: {d['hours']:,} h, cap {d['cap_mw']:,.0f} MW",
                                       ["zone", "province", "limit MW", "ramp MW/h", "AI"],
                                       [(z["name"], z["province"], z["connection_limit_mw"], z["ramp_mw_per_h"],
                                         z["ai_allowed"]) for z in d["zones"]]))

    @scenario_app.command("generate-grid")
    def generate_grid(directory: Path, seed: int = typer.Option(2025, "--seed"),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Rewrite DIR/grid.csv with the documented synthetic profile (seeded)."""
        from biplomacy.energy.model.synthetic_grid import GridShape, write_grid_csv

        if not directory.is_dir():
            raise InputError(f"{directory} is not a folder", field="DIR")
        n = write_grid_csv(directory / "grid.csv", GridShape(seed=seed))
        emit({"path": str(directory / "grid.csv"), "rows": n}, json_, lambda d: out.print(f"wrote {d['rows']} rows"))
