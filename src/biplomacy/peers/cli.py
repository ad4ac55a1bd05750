"""`biplomacy peers`: country programs side by side (Pakistan, El Salvador, Bhutan, United States), cited."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out
from biplomacy.core.errors import InputError, MigrationError
from biplomacy.peers import cli_bundle
from biplomacy.peers import compare as peers_compare
from biplomacy.peers.model.programs import parse_countries
from biplomacy.peers.results import PeerComparison
from biplomacy.store.db import Store

app = typer.Typer(help="Country programs side by side, the signed exchange of bundles, what-ifs.", no_args_is_help=True)
cli_bundle.register(app)


@app.command("compare")
def compare(
    ctx: typer.Context,
    countries: str = typer.Option(None, "--countries", help="Comma-separated codes: PK, SV, BT, US (default all)."),
    json_: bool = typer.Option(False, "--json", help="Print the comparison as one JSON document."),
    csv_file: Path = typer.Option(None, "--csv", help="Also write one line per cell, with its sources, to FILE."),
) -> None:
    """Reserve, mining, regulator, IMF conditions and transparency of each program, every cell with its source.

    Pakistan's column shows this installation's reserve ledger and newest stored energy plan when there are any.
    """
    codes = parse_countries(countries)
    if csv_file is not None and csv_file.is_dir():
        raise InputError(f"--csv: {csv_file} is a folder; give a file name", field="--csv")
    c = context.get(ctx)
    result = peers_compare.comparison(_store_if_any(c), codes)
    if csv_file is not None:
        try:
            csv_file.write_text(peers_compare.as_csv(result), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--csv: cannot write {csv_file}: {exc.strerror}", field="--csv") from None
        err.print(f"wrote {csv_file}")
    emit(result.to_json(), json_, lambda _: _render(result))


def _store_if_any(c: context.CliContext) -> Store | None:
    """The database when this installation has one (for Pakistan's live figures); the comparison works without."""
    try:
        return c.store()
    except MigrationError:
        return None


def _render(data: PeerComparison) -> None:
    sources = data.sources
    number = {f["key"]: i for i, f in enumerate(sources, start=1)}
    t = Table(title="Country programs side by side", title_justify="left", show_lines=True)
    t.add_column("")
    for country in data.countries:
        t.add_column(country.name)
    for dim in data.dimensions:
        row = [escape(dim.label)]
        for country in data.countries:
            cell = dim.cells[country.code]
            text = escape(cell.text)
            if cell.note:
                text += f"\n[dim]{escape(cell.note)}[/dim]"
            if cell.cites:
                text += " " + escape("[" + ", ".join(str(number[x.key]) for x in cell.cites) + "]")
            row.append(text)
        t.add_row(*row)
    out.print(t)
    out.print("Sources:")
    for i, f in enumerate(sources, start=1):
        cite = f"{f['source']['title']}, {f['source']['publisher']}, {f['source']['date']}" if f["source"] \
            else f"assumption: {f['assumption']}"
        out.print(escape(f"  [{i}] {f['label']} ({f['key']}): {cite}"))
