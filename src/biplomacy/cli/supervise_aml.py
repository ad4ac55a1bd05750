"""Commands of `biplomacy supervise`: travel-rule checks and AML transaction monitoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, out, table


def out_print(text: str) -> None:
    out.print(text)


def _render_travel(d: dict[str, Any]) -> None:
    if d["valid"]:
        out.print("[green]valid[/green] IVMS101 payload")
    else:
        table("Travel rule: problems", ["field", "problem"], [(p["path"], p["message"]) for p in d["problems"]])
    if d.get("above_threshold") is not None:
        out.print(f"amount {d['amount_usd'] or ''} USD; at or above the USD/EUR {d['threshold_usd']} threshold: "
                  f"{d['above_threshold']}")
    for f in d.get("flags", []):
        out.print(f"[yellow]flag[/yellow]: {f}")


def register(app: typer.Typer) -> None:
    travel = typer.Typer(help="The travel rule (FATF R.16, IVMS101).", no_args_is_help=True)
    app.add_typer(travel, name="travel-rule")

    @travel.command("validate")
    def validate(file: Path, json_: bool = typer.Option(False, "--json")) -> None:
        """Validate an IVMS101 payload (bare or in an envelope with transfer data), field by field."""
        from biplomacy.services.travel_rule import validate_file

        emit(validate_file(file), json_, _render_travel)

    register_aml(app)


def register_aml(app: typer.Typer) -> None:
    aml = typer.Typer(help="AML transaction monitoring across VASPs.", no_args_is_help=True)
    app.add_typer(aml, name="aml")

    @aml.command("scan")
    def scan(transactions: Path = typer.Option(..., "--transactions", help="CSV or Parquet (ours or AMLSim's)."),
             accounts: Path = typer.Option(None, "--accounts", help="Accounts file (AMLSim accounts.csv); optional."),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Run every AML rule over a transactions file; alerts carry their evidence."""
        from biplomacy.errors import InputError
        from biplomacy.services.aml_scan import scan_file

        if accounts is not None and not accounts.is_file():
            raise InputError(f"--accounts: {accounts} does not exist", field="--accounts")
        d = scan_file(transactions)

        def render(d: dict[str, Any]) -> None:
            table(f"{d['summary']['alerts']} alerts over {d['summary']['transactions']:,} transactions",
                  ["rule", "score", "accounts", "transactions"],
                  [(a["rule"], a["score"], ", ".join(a["accounts"][:4]), ", ".join(a["transactions"][:4]))
                   for a in d["alerts"][:200]])

        emit(d, json_, render)

    @aml.command("generate")
    def generate(out: Path = typer.Option(..., "--out", help="Directory for transactions.csv and labels.csv."),
                 transactions: int = typer.Option(10_000, "--transactions"),
                 vasps: int = typer.Option(3, "--vasps"), seed: int = typer.Option(1, "--seed"),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Write a synthetic VASP transaction set with planted typologies and its labels table."""
        from biplomacy.services.aml_evaluate import generate_files

        emit(generate_files(out, transactions, vasps, seed), json_,
             lambda d: out_print(f"{d['transactions']:,} transactions ({d['labelled_transactions']:,} planted) "
                                 f"-> {', '.join(d['files'])}"))

    @aml.command("evaluate")
    def evaluate(transactions: Path = typer.Option(..., "--transactions"),
                 labels: Path = typer.Option(..., "--labels", help="CSV: tx_id, typology[, instance]."),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Precision and recall per typology of every AML rule against labelled transactions."""
        from biplomacy.services.aml_evaluate import evaluate_files

        def render(d: dict[str, Any]) -> None:
            table(f"{d['alerts']:,} alerts over {d['transactions']:,} transactions",
                  ["typology", "precision", "recall", "planted", "alerts"],
                  [(k, v["precision"], v["recall"], v["planted"], v["alerts"]) for k, v in d["typologies"].items()])

        emit(evaluate_files(transactions, labels), json_, render)
