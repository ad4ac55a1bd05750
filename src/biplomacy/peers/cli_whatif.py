"""`biplomacy peers whatif`: run, list, show and rerun what-ifs (one program's choices on another's figures)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape

from biplomacy.cli import context
from biplomacy.cli.output import emit, out, table
from biplomacy.peers import whatifs


def _render(d: dict[str, Any]) -> None:
    out.print(f"[bold reverse] WHAT-IF [/bold reverse] run {d['id']}: {escape(d['title'])}")
    out.print(escape(f"inputs {d['inputs_sha256'][:16]}…, by {d['created_by']} at {d['created_at']}"))
    out.print(escape(json.dumps({k: v for k, v in d["result"].items() if k not in ("title", "what_if")}, indent=1)))


def register(app: typer.Typer) -> None:
    whatif = typer.Typer(help="What-ifs: one program's choices transplanted onto another (stored, reproducible).",
                         no_args_is_help=True)
    app.add_typer(whatif, name="whatif")

    @whatif.command("run")
    def run(ctx: typer.Context,
            kind: str = typer.Argument(..., metavar="KIND", help=f"One of: {', '.join(whatifs.KINDS)}."),
            mw: float = typer.Option(None, "--mw", help="bt-hydro: the mining MW to transplant (default Bhutan's)."),
            end: str = typer.Option(None, "--end", help="sv-accumulation: the last day (YYYY-MM-DD)."),
            json_: bool = typer.Option(False, "--json")) -> None:
        """Run a what-if with its sourced inputs and store it (marked what-if wherever it is shown)."""
        c = context.get(ctx)
        options: dict[str, Any] = {"mw": mw} if kind == "bt-hydro" else ({"end": end} if kind == "sv-accumulation"
                                                                          else {})
        emit(whatifs.run_whatif(c.store(), c.actor(), kind, **options), json_, _render)

    @whatif.command("list")
    def list_(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        """The stored what-ifs, newest first."""
        rows = whatifs.list_whatifs(context.get(ctx).store())
        emit(rows, json_, lambda rs: table(f"{len(rs)} what-if run(s) (WHAT-IF: not national or planned figures)",
                                           ["id", "kind", "title", "when", "inputs"],
                                           [(r["id"], r["kind"], r["title"], r["created_at"], r["inputs_sha256"][:16])
                                            for r in rs]))

    @whatif.command("show")
    def show(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID"),
             json_: bool = typer.Option(False, "--json")) -> None:
        """One stored what-if with its inputs (and their sources) and its result."""
        emit(whatifs.get_whatif(context.get(ctx).store(), ident), json_, _render)

    @whatif.command("rerun")
    def rerun(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID"),
              json_: bool = typer.Option(False, "--json")) -> None:
        """Run a stored what-if's inputs again and say whether the result is the same (nothing is stored)."""
        c = context.get(ctx)
        emit(whatifs.rerun_whatif(c.store(), c.actor(), ident), json_,
             lambda d: out.print(f"WHAT-IF run {d['id']}: " + ("reproduced exactly" if d["reproduced"]
                                                               else f"differs in {', '.join(d['differs'])}")))
