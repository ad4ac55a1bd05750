"""`biplomacy supervise tax`: the tax base of virtual-asset trading."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.aml.results import TaxEstimate
from biplomacy.cli.output import emit, out, table


def register_tax(app: typer.Typer) -> None:
    tax = typer.Typer(help="The tax base of virtual-asset trading.", no_args_is_help=True)
    app.add_typer(tax, name="tax")

    @tax.command("estimate")
    def estimate(transactions: Path = typer.Option(..., "--transactions", help="Trades CSV or Parquet with prices."),
                 rates: Path = typer.Option(None, "--rates", help="TOML: capital_gains_rate, turnover_rate, currency."),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Realised gains (FIFO) and taxable turnover by VASP and in total, with the assumptions beside them."""
        from biplomacy.aml.tax import estimate_file

        def render(d: TaxEstimate) -> None:
            rows = [*d.by_vasp.items(), *([("TOTAL", d.total)] if d.total else [])]
            table(f"Tax base ({d.currency}), {d.trades:,} trades, {d.accounts:,} accounts",
                  ["vasp", "realised_gains", "realised_losses", "taxable_gains", "taxable_turnover", "tax_total"],
                  [(v, *(format(x, "f") for x in (b.realised_gains, b.realised_losses, b.taxable_gains,
                                                  b.taxable_turnover, b.tax_total))) for v, b in rows])
            out.print("Assumptions:")
            for a in d.assumptions:
                out.print(f"  - {a}")

        emit(estimate_file(transactions, rates), json_, render)


def register(app: typer.Typer) -> None:
    register_tax(app)
