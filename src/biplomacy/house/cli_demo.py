"""`biplomacy demo run`: migrate, load the shipped pakistan-2025 demo and run every pillar's main job."""

from __future__ import annotations

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.house import demo as demo_service
from biplomacy.store import migrate

app = typer.Typer(help="The shipped pakistan-2025 demo.", no_args_is_help=True)


@app.command("run")
def run_demo(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """Migrate the database, load the demo and run each pillar's main job (safe to re-run)."""
    c = context.get(ctx)
    store = c.store(migrated=False)
    migrate.upgrade(store)
    out_dir = c.settings.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for step in demo_service.STEPS:
        err.print(f"[bold]{step.title}[/bold] ...")
        result = step.run(store, c.settings, c.actor())
        results.append(result)
        for line in result.lines:
            err.print(f"  {line}")

    head = demo_service.audit_head_after(store)

    def render(_: object) -> None:
        table("Biplomacy demo: pakistan-2025", ["pillar", "result", "outputs"],
              [(r.pillar, r.headline, "\n".join(sorted({str(p.parent) + "/" for p in r.outputs})))
               for r in results])
        out.print("\nThe demo is a REHEARSAL: its reserve wallet is on the rehearsal chain, its register fictional.")
        out.print(f"Audit head after the run: {head[1] if head else '(empty)'} ({head[0] if head else 0} entries; "
                  "`biplomacy audit verify` prints the same head)")
        out.print(f"Database: {c.settings.effective_database_url}")
        out.print(f"Reports:  {out_dir}/")
        out.print("Portal:   run `biplomacy serve` (or `make serve`) and open http://127.0.0.1:8000")

    emit({"database": c.settings.effective_database_url, "out_dir": str(out_dir), "rehearsal": True,
          "audit_head": None if head is None else {"seq": head[0], "hash": head[1]},
          "steps": [r.to_json() for r in results]}, json_, render)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="demo")
