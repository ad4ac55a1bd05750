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
        from biplomacy.aml.travel_rule import validate_file

        emit(validate_file(file), json_, _render_travel)

    from biplomacy.aml.cli_travel_rule import register_exchange

    register_exchange(travel)
    register_aml(app)
    register_sanctions(app)
    register_stablecoin(app)
    register_tax(app)


def register_tax(app: typer.Typer) -> None:
    tax = typer.Typer(help="The tax base of virtual-asset trading.", no_args_is_help=True)
    app.add_typer(tax, name="tax")

    @tax.command("estimate")
    def estimate(transactions: Path = typer.Option(..., "--transactions", help="Trades CSV or Parquet with prices."),
                 rates: Path = typer.Option(None, "--rates", help="TOML: capital_gains_rate, turnover_rate, currency."),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Realised gains (FIFO) and taxable turnover by VASP and in total, with the assumptions beside them."""
        from biplomacy.aml.tax import estimate_file

        def render(d: dict[str, Any]) -> None:
            cols = ["realised_gains", "realised_losses", "taxable_gains", "taxable_turnover", "tax_total"]
            table(f"Tax base ({d['currency']}), {d['trades']:,} trades, {d['accounts']:,} accounts",
                  ["vasp", *cols], [(v, *(row[c] for c in cols)) for v, row in [*d["by_vasp"].items(),
                                                                                   ("TOTAL", d["total"])]])
            out.print("Assumptions:")
            for a in d["assumptions"]:
                out.print(f"  - {a}")

        emit(estimate_file(transactions, rates), json_, render)


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

        def render(d: dict[str, Any]) -> None:
            out.print(f"{d['list']}: {d['addresses']} Bitcoin addresses")
            for r in d["rejected"]:
                out.print(f"[yellow]left out[/yellow] {r['path']}: {r['message']}")

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

        c = context.get(ctx)
        emit(versions(c.store(), c.actor()), json_,
             lambda rs: table("Sanctions list versions", ["version", "name", "loaded", "by", "addresses", "rejected"],
                              [(r["version"], r["name"], r["loaded_at"], r["loaded_by"], r["addresses"], r["rejected"])
                               for r in rs]))

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

        def render(d: dict[str, Any]) -> None:
            verdict = "[red]MATCH[/red]" if d["match"] else "[green]no match[/green]"
            out.print(f"{verdict} in {d['list']}")
            for m in d["matches"]:
                out.print(f"  {m['value']} (score {m['score']})")

        lst = None
        if stored:
            from biplomacy.aml.sanctions_store import latest
            from biplomacy.cli import context

            lst = latest(context.get(ctx).store())
        emit(run(address, name, list_file, names, cutoff, lst), json_, render)


def register_stablecoin(app: typer.Typer) -> None:
    coin = typer.Typer(help="Stablecoin issuers' reserves (1:1 backing, eligible assets, liquidity).",
                       no_args_is_help=True)
    app.add_typer(coin, name="stablecoin")

    @coin.command("check")
    def check(ctx: typer.Context, file: Path,
              licence: str = typer.Option(None, "--licence", help="Record the attestation and its verdict against "
                                          "this issuer's licence (register and dashboard)."),
              json_: bool = typer.Option(False, "--json")) -> None:
        """Check an issuer's reserve attestation (JSON) against the reserve rules; breaches are listed."""
        from biplomacy.supervision.stablecoin import check_file, record_attestation

        def render(d: dict[str, Any]) -> None:
            verdict = "[green]compliant[/green]" if d["compliant"] else "[red]not compliant[/red]"
            out.print(f"{d['issuer']} {d['token']} as of {d['as_of']}: {verdict}; backing ratio {d['backing_ratio']}, "
                      f"liquid share {d['liquid_share']}")
            for b in d["breaches"]:
                out.print(f"  [red]{b['rule']}[/red]: {b['message']}")
            for s in d["sources"]:
                out.print(f"  {s['key']} = {s['value']} {s['unit']} "
                          f"({(s['source'] or {}).get('title') or 'assumption: ' + str(s['assumption'])})")

        if licence:
            from biplomacy.cli import context

            c = context.get(ctx)
            emit(record_attestation(c.store(), c.actor(), licence, file), json_, render)
        else:
            emit(check_file(file), json_, render)


def register_aml(app: typer.Typer) -> None:
    aml = typer.Typer(help="AML transaction monitoring across VASPs.", no_args_is_help=True)
    app.add_typer(aml, name="aml")

    @aml.command("scan")
    def scan(ctx: typer.Context, transactions: Path = typer.Option(..., "--transactions", help="CSV or Parquet (ours or AMLSim's)."),
             accounts: Path = typer.Option(None, "--accounts", help="Accounts file (AMLSim accounts.csv); optional."),
             store: bool = typer.Option(False, "--store", help="Keep the scan, its alerts and a case per alert."),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Run every AML rule over a transactions file; alerts carry their evidence."""
        from biplomacy.aml.scan import scan_file
        from biplomacy.core.errors import InputError

        if accounts is not None and not accounts.is_file():
            raise InputError(f"--accounts: {accounts} does not exist", field="--accounts")
        if store:
            from biplomacy.aml.cases import store_scan
            from biplomacy.cli import context

            c = context.get(ctx)
            d = store_scan(c.store(), c.actor(), transactions)
        else:
            d = scan_file(transactions)

        def render(d: dict[str, Any]) -> None:
            table(f"{d['summary']['alerts']} alerts over {d['summary']['transactions']:,} transactions",
                  ["rule", "score", "accounts", "transactions"],
                  [(a["rule"], a["score"], ", ".join(a["accounts"][:4]), ", ".join(a["transactions"][:4]))
                   for a in d["alerts"][:200]])

        emit(d, json_, render)

    @aml.command("serve")
    def serve(ctx: typer.Context, port: int = typer.Option(8765, "--port", min=1, max=65535),
              state: Path = typer.Option(None, "--state", help="State directory (default: VAR_DIR/aml-stream)."),
              in_memory: bool = typer.Option(False, "--in-memory", help="Keep no state on disk (tests, trials)."),
              snapshot_every: int = typer.Option(1_000_000, "--snapshot-every", min=1,
                                                 help="Transfers between snapshots of the state.")) -> None:
        """Serve streaming AML scoring on loopback (POST /score, Bearer token with aml.scan); state kept."""
        from biplomacy.aml.stream import StreamScorer
        from biplomacy.aml.stream_server import StreamService, TokenCache, serve
        from biplomacy.cli import context

        c = context.get(ctx)
        store = c.store()
        directory = None if in_memory else (state or c.settings.var_dir / "aml-stream")
        scorer = StreamScorer(directory, snapshot_every=snapshot_every)
        size = scorer.size()
        service = StreamService(scorer, TokenCache.of_store(store))
        serve(service, port, lambda: out.print(
            f"AML streaming on http://127.0.0.1:{port}/score; state {directory or 'in memory only'}: "
            f"{size['scored']:,} transfers scored before, {size['replayed_on_start']:,} replayed from the log"))

    @aml.command("stream-import")
    def stream_import(ctx: typer.Context,
                      state: Path = typer.Option(None, "--state", help="State directory (default: VAR_DIR/aml-stream)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Open a case for every alert the streaming scorer stored since the last import (one stored scan)."""
        from biplomacy.aml.cases import import_stream_alerts
        from biplomacy.cli import context

        c = context.get(ctx)
        d = import_stream_alerts(c.store(), c.actor(), state or c.settings.var_dir / "aml-stream")
        emit(d, json_, lambda d: out_print(f"{d['imported']} new streaming alerts -> cases"
                                           + (f" (scan {d['scan_id']})" if d["scan_id"] else "")
                                           + f"; {d['already_imported']} imported before"))

    @aml.command("generate")
    def generate(out: Path = typer.Option(..., "--out", help="Directory for transactions.csv and labels.csv."),
                 transactions: int = typer.Option(10_000, "--transactions"),
                 vasps: int = typer.Option(3, "--vasps"), seed: int = typer.Option(1, "--seed"),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Write a synthetic VASP transaction set with planted typologies and its labels table."""
        from biplomacy.aml.evaluate import generate_files

        emit(generate_files(out, transactions, vasps, seed), json_,
             lambda d: out_print(f"{d['transactions']:,} transactions ({d['labelled_transactions']:,} planted) "
                                 f"-> {', '.join(d['files'])}"))

    @aml.command("evaluate")
    def evaluate(transactions: Path = typer.Option(..., "--transactions"),
                 labels: Path = typer.Option(..., "--labels", help="CSV: tx_id, typology[, instance]."),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Precision and recall per typology of every AML rule against labelled transactions."""
        from biplomacy.aml.evaluate import evaluate_files

        def render(d: dict[str, Any]) -> None:
            table(f"{d['alerts']:,} alerts over {d['transactions']:,} transactions",
                  ["typology", "precision", "on any planted", "recall", "planted", "alerts"],
                  [(k, v["precision"], v["precision_any_planted"], v["recall"], v["planted"], v["alerts"])
                   for k, v in d["typologies"].items()])

        emit(evaluate_files(transactions, labels), json_, render)

    @aml.command("cases")
    def cases(ctx: typer.Context, state: str = typer.Option(None, "--state", help="open, assigned, escalated, closed"),
              json_: bool = typer.Option(False, "--json")) -> None:
        """List AML cases (one per stored alert), highest score first."""
        from biplomacy.aml.cases import list_cases
        from biplomacy.cli import context

        c = context.get(ctx)
        rows = list_cases(c.store(), c.actor(), state)
        emit(rows, json_, lambda rs: table(f"{len(rs)} AML cases", ["id", "state", "assignee", "rule", "score",
                                                                     "accounts"],
                                           [(r["id"], r["state"], r["assignee"] or "", r["rule"], r["score"],
                                             ", ".join(r["accounts"][:4])) for r in rs]))

    @aml.command("case")
    def case(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID"),
             assign: str = typer.Option(None, "--assign", help="Assign the case to USER."),
             escalate: bool = typer.Option(False, "--escalate", help="File a suspicious transaction report."),
             close: bool = typer.Option(False, "--close"), reason: str = typer.Option("", "--reason"),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Show a case with its evidence and history, or move it (assign, escalate to an STR, close)."""
        from biplomacy.aml.cases import move_case, show_case
        from biplomacy.cli import context

        c = context.get(ctx)
        if assign is None and not escalate and not close:
            d = show_case(c.store(), c.actor(), ident)
        else:
            d = move_case(c.store(), c.actor(), ident, assign=assign, escalate=escalate, close=close, reason=reason)

        def render(d: dict[str, Any]) -> None:
            out.print(f"case {d['id']}: {d['state']} ({d['rule']}, score {d['score']}); assignee {d['assignee'] or '-'}")
            out.print(f"accounts: {', '.join(d['accounts'])}")
            out.print(f"transactions: {', '.join(d['transactions'])}")
            for k, v in d["evidence"].items():
                out.print(f"  {k}: {v}")
            table("History", ["at", "actor", "from", "to", "detail"],
                  [(h["at"], h["actor"], h["from"] or "", h["to"], h["detail"]) for h in d["history"]])
            if d["str"]:
                out.print(f"STR {d['str']['id']} filed by {d['str']['created_by']}: {d['str']['reason']}")

        emit(d, json_, render)
