"""`biplomacy peers`: country programs side by side (Pakistan, El Salvador, Bhutan, United States), cited."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from biplomacy.cli.output import emit, err, out
from biplomacy.core.errors import InputError
from biplomacy.peers import cli_bundle, cli_whatif
from biplomacy.peers import compare as peers_compare
from biplomacy.peers.model.programs import parse_countries
from biplomacy.peers.results import PeerComparison

app = typer.Typer(help="Country programs side by side, the signed exchange of bundles, what-ifs.", no_args_is_help=True)
cli_bundle.register(app)
cli_whatif.register(app)


@app.command("compare")
def compare(
    countries: str = typer.Option(None, "--countries", help="Comma-separated codes: PK, SV, BT, US (default all)."),
    json_: bool = typer.Option(False, "--json", help="Print the comparison as one JSON document."),
    csv_file: Path = typer.Option(None, "--csv", help="Also write one line per cell, with its sources, to FILE."),
) -> None:
    """Reserve, mining, regulator, IMF conditions and transparency of each program, every cell with its source,
    then each country's dated history (every purchase, sale, transfer and review, both sides of each dispute).

    National, published figures only: this installation's own (demo, rehearsal) figures are never shown here.
    """
    codes = parse_countries(countries)
    if csv_file is not None and csv_file.is_dir():
        raise InputError(f"--csv: {csv_file} is a folder; give a file name", field="--csv")
    result = peers_compare.comparison(codes)
    if csv_file is not None:
        try:
            csv_file.write_text(peers_compare.as_csv(result), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--csv: cannot write {csv_file}: {exc.strerror}", field="--csv") from None
        err.print(f"wrote {csv_file}")
    emit(result.to_json(), json_, lambda _: _render(result))


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
    _render_history(data)


def _render_history(data: PeerComparison) -> None:
    """Each country's dated series; disputed figures marked with the dispute they belong to."""
    for country in data.history.countries:
        t = Table(title=f"{country.name}: history", title_justify="left", show_lines=False)
        for col in ("date", "figure", "what", "who says so"):
            t.add_column(col)
        for _key, label, events in country.series:
            for e in events:
                figure = f"{e.value} {e.unit}" if e.value else (e.status or "")
                what = e.text + (f" [dispute: {e.dispute}]" if e.dispute else "")
                if e.estimate:
                    figure += " (estimate)"
                t.add_row(e.date, escape(figure), escape(f"{label}: {what}"), escape(f"{e.claimant}; {e.cite()}"))
        out.print(t)
    for d in data.history.disputes:
        out.print(escape(f"Disputed ({d.key}): " + " | ".join(f"{e.date} {e.claimant}: {e.value or e.text}"
                                                             for e in d.sides)))
