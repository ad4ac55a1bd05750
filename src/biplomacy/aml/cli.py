"""`biplomacy supervise aml`, `travel-rule`, `sanctions` and `tax`: the AML pillar's commands."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.aml import cli_sanctions, cli_tax, cli_travel_rule
from biplomacy.aml.results import (
    Case,
    CaseSummary,
    Evaluation,
    GeneratedSet,
    ScanResult,
    StoredAlert,
    StoredScan,
    StreamImport,
)
from biplomacy.cli import output
from biplomacy.cli.output import emit, out, table


def register(app: typer.Typer) -> None:
    """Add the AML pillar's commands to `biplomacy supervise`."""
    cli_travel_rule.register(app)
    register_aml(app)
    cli_sanctions.register(app)
    cli_tax.register(app)


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
            d: ScanResult | StoredScan = store_scan(c.store(), c.actor(), transactions)
        else:
            d = scan_file(transactions)

        def render(d: ScanResult | StoredScan) -> None:
            alerts = [a.alert if isinstance(a, StoredAlert) else a for a in d.alerts[:200]]
            table(f"{d.summary.alerts} alerts over {d.summary.transactions:,} transactions",
                  ["rule", "score", "accounts", "transactions"],
                  [(a.rule, round(a.score, 4), ", ".join(a.accounts[:4]), ", ".join(a.transactions[:4])) for a in alerts])

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
        scorer = StreamScorer(directory, snapshot_every=snapshot_every, future_seconds=c.settings.aml_future_seconds)
        size = scorer.size()
        service = StreamService(scorer, TokenCache.of_store(store))
        serve(service, port, lambda: out.print(
            f"AML streaming on http://127.0.0.1:{port}/score; state {directory or 'in memory only'}: "
            f"{size.scored:,} transfers scored before, {size.replayed_on_start:,} replayed from the log"))

    @aml.command("stream-quarantine")
    def stream_quarantine(ctx: typer.Context, tx_id: str = typer.Argument(..., help="The scored transfer's tx_id."),
                          reason: str = typer.Option(..., "--reason", help="Why it is taken out (audited)."),
                          state: Path = typer.Option(None, "--state", help="State directory (default: VAR_DIR/aml-stream)."),
                          json_: bool = typer.Option(False, "--json")) -> None:
        """Take a bad transfer back out of the streaming state (stop the stream server first); audited."""
        from biplomacy.aml.stream_quarantine import quarantine
        from biplomacy.cli import context

        c = context.get(ctx)
        d = quarantine(c.store(), c.actor(), state or c.settings.var_dir / "aml-stream", tx_id, reason)
        emit(d, json_, lambda d: out.print(
            f"{d.tx_id} quarantined" + ("" if d.found else " (it was no longer in the state)")
            + f"; the stream's clock is now {d.clock_after or 'unset (the next transfer sets it)'}"))

    @aml.command("stream-import")
    def stream_import(ctx: typer.Context,
                      state: Path = typer.Option(None, "--state", help="State directory (default: VAR_DIR/aml-stream)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Open a case for every alert the streaming scorer stored since the last import (one stored scan)."""
        from biplomacy.aml.cases import import_stream_alerts
        from biplomacy.cli import context

        c = context.get(ctx)
        d = import_stream_alerts(c.store(), c.actor(), state or c.settings.var_dir / "aml-stream")

        def render(d: StreamImport) -> None:
            out.print(f"{d.imported} new streaming alerts -> cases" + (f" (scan {d.scan_id})" if d.scan_id else "")
                      + f"; {d.already_imported} imported before")

        emit(d, json_, render)

    @aml.command("generate")
    def generate(out: Path = typer.Option(..., "--out", help="Directory for transactions.csv and labels.csv."),
                 transactions: int = typer.Option(10_000, "--transactions"),
                 vasps: int = typer.Option(3, "--vasps"), seed: int = typer.Option(1, "--seed"),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Write a synthetic VASP transaction set with planted typologies and its labels table."""
        from biplomacy.aml.evaluate import generate_files

        def render(d: GeneratedSet) -> None:
            output.out.print(f"{d.transactions:,} transactions ({d.labelled_transactions:,} planted) "
                             f"-> {', '.join(map(str, d.files))}")

        emit(generate_files(out, transactions, vasps, seed), json_, render)

    @aml.command("evaluate")
    def evaluate(transactions: Path = typer.Option(..., "--transactions"),
                 labels: Path = typer.Option(..., "--labels", help="CSV: tx_id, typology[, instance]."),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Precision and recall per typology of every AML rule against labelled transactions."""
        from biplomacy.aml.evaluate import evaluate_files

        def render(d: Evaluation) -> None:
            table(f"{d.alerts:,} alerts over {d.transactions:,} transactions",
                  ["typology", "precision", "on any planted", "recall", "planted", "alerts"],
                  [(k, v.precision, v.precision_any_planted, v.recall, v.planted, v.alerts)
                   for k, v in d.typologies.items()])

        emit(evaluate_files(transactions, labels), json_, render)

    @aml.command("cases")
    def cases(ctx: typer.Context, state: str = typer.Option(None, "--state", help="open, assigned, escalated, closed"),
              json_: bool = typer.Option(False, "--json")) -> None:
        """List AML cases (one per stored alert), highest score first."""
        from biplomacy.aml.cases import list_cases
        from biplomacy.cli import context

        c = context.get(ctx)
        def render(rs: list[CaseSummary]) -> None:
            table(f"{len(rs)} AML cases", ["id", "state", "assignee", "rule", "score", "accounts"],
                  [(r.id, r.state, r.assignee or "", r.rule, r.score, ", ".join(r.accounts[:4])) for r in rs])

        emit(list_cases(c.store(), c.actor(), state), json_, render)

    @aml.command("case")
    def case(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID", min=1, max=2**63 - 1),
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

        def render(d: Case) -> None:
            out.print(f"case {d.id}: {d.state} ({d.rule}, score {d.score}); assignee {d.assignee or '-'}")
            out.print(f"accounts: {', '.join(d.accounts)}")
            out.print(f"transactions: {', '.join(d.transactions)}")
            for k, v in d.evidence.items():
                out.print(f"  {k}: {v}")
            table("History", ["at", "actor", "from", "to", "detail"],
                  [(h.at.isoformat(), h.actor, h.from_state or "", h.to_state, h.detail) for h in d.history])
            if d.report:
                out.print(f"STR {d.report.id} filed by {d.report.created_by}: {d.report.reason}")

        emit(d, json_, render)
