"""`biplomacy supervise sanctions`: sanctions lists (OFAC SDN digital-currency addresses) and screening."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.aml.results import SanctionsLoaded, SanctionsVersion, ScreeningResult
from biplomacy.cli.output import emit, out, table


def register_sanctions(app: typer.Typer) -> None:
    sanctions = typer.Typer(help="Sanctions lists (OFAC SDN digital-currency addresses) and screening.",
                            no_args_is_help=True)
    app.add_typer(sanctions, name="sanctions")

    @sanctions.command("load")
    def load(ctx: typer.Context, file: Path,
             store: bool = typer.Option(False, "--store", help="Keep it as a new list version (audited)."),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Read a plain address list or OFAC's sdn_advanced.xml; every line that is not a Bitcoin address is reported."""
        from biplomacy.aml.sanctions import load_file

        def render(d: SanctionsLoaded) -> None:
            out.print(f"{d.list_name}: {d.addresses} Bitcoin addresses")
            for r in d.rejected:
                out.print(f"[yellow]left out[/yellow] {r.path}: {r.message}")

        if store:
            from biplomacy.aml.sanctions_store import store_list
            from biplomacy.cli import context

            c = context.get(ctx)
            emit(store_list(c.store(), c.actor(), file), json_, render)
        else:
            emit(load_file(file), json_, render)

    @sanctions.command("lists")
    def lists(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        """The stored sanctions list versions, newest first."""
        from biplomacy.aml.sanctions_store import versions
        from biplomacy.cli import context

        def render(rs: list[SanctionsVersion]) -> None:
            table("Sanctions list versions", ["version", "name", "loaded", "by", "addresses", "rejected"],
                  [(r.version, r.name, r.loaded_at.isoformat(), r.loaded_by, r.addresses, r.rejected) for r in rs])

        c = context.get(ctx)
        emit(versions(c.store(), c.actor()), json_, render)

    @sanctions.command("screen")
    def screen(ctx: typer.Context, address: str = typer.Option(None, "--address", help="Exact address screening."),
               name: str = typer.Option(None, "--name", help="Fuzzy name screening (needs --names)."),
               list_file: Path = typer.Option(None, "--list", help="Address list or sdn_advanced.xml (default: shipped)."),
               names: Path = typer.Option(None, "--names", help="Sanctioned names, one a line."),
               cutoff: float = typer.Option(80.0, "--cutoff", help="Lowest fuzzy score (0-100) reported."),
               stored: bool = typer.Option(False, "--stored", help="Screen against the latest stored list version."),
               json_: bool = typer.Option(False, "--json")) -> None:
        """Screen an address (exact) or a name (fuzzy, with its score) against a sanctions list."""
        from biplomacy.aml.sanctions import screen as run

        def render(d: ScreeningResult) -> None:
            verdict = "[red]MATCH[/red]" if d.match else "[green]no match[/green]"
            out.print(f"{verdict} in {d.list_name}")
            for m in d.matches:
                out.print(f"  {m.value} (score {m.score})")

        lst = None
        if stored:
            from biplomacy.aml.sanctions_store import latest
            from biplomacy.cli import context

            lst = latest(context.get(ctx).store())
        emit(run(address, name, list_file, names, cutoff, lst), json_, render)


def register(app: typer.Typer) -> None:
    register_sanctions(app)
