"""`biplomacy supervise register`: the public register, its history and warnings; CSV/JSON export."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli.output import emit, err, out, table
from biplomacy.supervision.results import RegisterView


def _register(app: typer.Typer) -> None:
    from biplomacy.cli import context

    reg = typer.Typer(help="The public register: licensed entities, history, warnings; CSV/JSON export.",
                      no_args_is_help=True)
    app.add_typer(reg, name="register")

    @reg.command("show")
    def show(ctx: typer.Context, as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
             search: str = typer.Option("", "--search", help="Filter by name, LEI, reference or activity."),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """The register as it stood on a date, with the warnings list."""
        from biplomacy.supervision.register import parse_as_of, register_view

        c = context.get(ctx)
        view = register_view(c.store(), as_of=parse_as_of(as_of), query=search)

        def render(r: RegisterView) -> None:
            table(f"Register of {r.authority} as of {r.as_of}",
                  ["reference", "legal name", "status", "authorised", "ended", "activities", "solvency"],
                  [(e.reference, e.identity.legal_name + (" (fictional)" if e.fictional else ""), e.status.value,
                    e.authorised_on, e.ended_on, ", ".join(a.value for a in e.activities), e.solvency_ratio)
                   for e in r.entities])
            table("Warnings", ["published", "name", "kind", "details"],
                  [(w.published_on, w.name, w.kind, w.details) for w in r.warnings])

        emit(view, as_json, render)

    @reg.command("export")
    def export(ctx: typer.Context, fmt: str = typer.Option("csv", "--format", help="csv or json."),
               out_file: Path = typer.Option(None, "--out", help="Write here instead of stdout."),
               as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today).")) -> None:
        """Export the register (CSV columns modelled on ESMA's interim MiCA CASP register)."""
        import json

        from biplomacy.core.errors import InputError
        from biplomacy.supervision.register import parse_as_of, register_csv, register_view

        if fmt not in {"csv", "json"}:
            raise InputError(f"--format {fmt!r}: expected csv or json", field="format")
        c = context.get(ctx)
        day = parse_as_of(as_of)
        text = register_csv(c.store(), as_of=day) if fmt == "csv" else \
            json.dumps(register_view(c.store(), as_of=day).to_json(), indent=2) + "\n"
        if out_file is None:
            print(text, end="")
        else:
            try:
                out_file.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"--out {out_file}: {exc.strerror}", field="out") from None
            err.print(f"wrote {out_file}")

    @reg.command("load-demo")
    def load_demo(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Load the FICTIONAL demo register (six invented VASPs, warnings, 2025-Q3 returns); once only."""
        from biplomacy.supervision.demo import load_demo_register

        c = context.get(ctx)
        emit(load_demo_register(c.store()), as_json, lambda r: out.print(
            f"loaded {r.licences} fictional licences, {r.warnings} warnings, {r.returns} returns"))

    @reg.command("warn")
    def warn(ctx: typer.Context, name: str = typer.Argument(...),
             kind: str = typer.Option("unlicensed", "--kind", help="unlicensed or non_compliant."),
             details: str = typer.Option(..., "--details"), website: str = typer.Option("", "--website"),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """Publish a warning about an unlicensed or non-compliant entity."""
        from biplomacy.supervision.register import publish_warning

        c = context.get(ctx)
        emit(publish_warning(c.store(), c.actor(), name, kind, details, website=website), as_json)


def register(app: typer.Typer) -> None:
    _register(app)
