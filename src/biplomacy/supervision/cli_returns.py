"""`biplomacy supervise returns`: supervisory returns against the published JSON Schema; late and missing filings."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli.output import emit, out, table
from biplomacy.core.files import read_json
from biplomacy.supervision.results import MissingReturns


def _returns(app: typer.Typer) -> None:
    from biplomacy.cli import context

    ret = typer.Typer(help="Supervisory returns against the published JSON Schema; late and missing filings.",
                      no_args_is_help=True)
    app.add_typer(ret, name="returns")

    @ret.command("file")
    def file_(ctx: typer.Context, file: Path = typer.Argument(..., help="The return, JSON (schema v1)."),
              as_json: bool = typer.Option(False, "--json")) -> None:
        """File a quarterly return; every schema problem is listed with its field path."""
        from biplomacy.supervision.returns import file_return

        c = context.get(ctx)
        result = file_return(c.store(), c.actor(), read_json(file, "return"))
        emit(result, as_json, lambda r: out.print(
            f"filed {r.licence} {r.period} (due {r.due_on}{', LATE' if r.late else ''})"))

    @ret.command("validate")
    def validate(file: Path = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
        """Check a return against the schema without filing it (valid: false lists every problem)."""
        from biplomacy.supervision.model.returns import return_issues

        issues = return_issues(read_json(file, "return"))
        emit({"valid": not issues, "problems": [i.as_dict() for i in issues]}, as_json,
             lambda r: out.print("valid") if r["valid"] else table(
                 "Problems", ["path", "message"], [(p["path"], p["message"]) for p in r["problems"]]))

    @ret.command("missing")
    def missing(ctx: typer.Context, period: str = typer.Option(..., "--period", help="e.g. 2025-Q3"),
                as_json: bool = typer.Option(False, "--json")) -> None:
        """Licensed VASPs that have not filed for a period, and those that filed late."""
        from biplomacy.supervision.returns import missing_returns

        c = context.get(ctx)
        result = missing_returns(c.store(), c.actor(), period)

        def render(r: MissingReturns) -> None:
            table(f"Missing returns for {r.period} (due {r.due_on})", ["licence", "legal name", "days overdue"],
                  [(m.licence, m.legal_name, m.days_overdue) for m in r.missing])
            table("Filed late", ["licence", "legal name", "days late"],
                  [(m.licence, m.legal_name, m.days_late) for m in r.late])

        emit(result, as_json, render)


def register(app: typer.Typer) -> None:
    _returns(app)
