"""`biplomacy supervise aml`, `travel-rule`, `sanctions` and `tax`: the AML pillar's commands."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.aml import cli_calibrate, cli_cases, cli_sanctions, cli_tax, cli_travel_rule
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
from biplomacy.cli.cluster import scheduler_option, workers_option
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
    cli_calibrate.register(aml)

    @aml.command("scan")
    def scan(ctx: typer.Context,
             transactions: list[Path] = typer.Option(..., "--transactions",
                                                     help="CSV or Parquet (ours, AMLSim's or AMLworld's); repeat it "
                                                          "to scan several files together."),
             accounts: Path = typer.Option(None, "--accounts", help="Accounts file (AMLSim accounts.csv); optional, "
                                                                  "checked to exist; the rules read transfers only."),
             profile: Path = typer.Option(None, "--profile", help="A rule profile from `aml calibrate` (with "
                                                                  "--store and no --profile: the adopted one)."),
             store: bool = typer.Option(False, "--store", help="Keep the scan, its alerts and a case per alert."),
             workers: str | None = workers_option(), scheduler: str | None = scheduler_option(),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Run every AML rule over transactions files (or folders of Parquet partitions); alerts carry their
        evidence. --workers / --scheduler run it on a Dask cluster, with the same alerts."""
        from biplomacy.aml.scan import scan_file
        from biplomacy.cli.cluster import engine as chosen
        from biplomacy.core.errors import InputError

        eng = chosen(ctx, workers, scheduler)
        if accounts is not None and not accounts.is_file():
            raise InputError(f"--accounts: {accounts} does not exist", field="--accounts")
        if store:
            from biplomacy.aml.cases import store_scan
            from biplomacy.cli import context

            c = context.get(ctx)
            d: ScanResult | StoredScan = store_scan(c.store(), c.actor(), transactions, profile, eng)
        else:
            d = scan_file(transactions, profile, eng)

        def render(d: ScanResult | StoredScan) -> None:
            alerts = [a.alert if isinstance(a, StoredAlert) else a for a in d.alerts[:200]]
            table(f"{d.summary.alerts} alerts over {d.summary.transactions:,} transactions; profile "
                  f"{d.summary.profile or d.summary.thresholds_version}",
                  ["rule", "score", "accounts", "transactions"],
                  [(a.rule, round(a.score, 4), ", ".join(a.accounts[:4]), ", ".join(a.transactions[:4])) for a in alerts])

        emit(d, json_, render)

    @aml.command("serve")
    def serve(ctx: typer.Context, port: int = typer.Option(8765, "--port", min=1, max=65535),
              state: Path = typer.Option(None, "--state", help="State directory (default: VAR_DIR/aml-stream)."),
              in_memory: bool = typer.Option(False, "--in-memory", help="Keep no state on disk (tests, trials)."),
              snapshot_every: int = typer.Option(1_000_000, "--snapshot-every", min=1,
                                                 help="Transfers between snapshots of the state."),
              profile: Path = typer.Option(None, "--profile",
                                           help="A rule profile file (default: the adopted one, else the shipped "
                                                "thresholds).")) -> None:
        """Serve streaming AML scoring on loopback (POST /score, Bearer token with aml.scan); state kept."""
        from biplomacy.aml.stream import StreamScorer
        from biplomacy.aml.stream_server import StreamService, TokenCache, serve
        from biplomacy.cli import context

        c = context.get(ctx)
        store = c.store()
        directory = None if in_memory else (state or c.settings.var_dir / "aml-stream")
        from biplomacy.aml.profile_store import profile_in_force

        used = profile_in_force(store, profile)
        scorer = StreamScorer(directory, snapshot_every=snapshot_every, profile=used,
                              future_seconds=c.settings.aml_future_seconds)
        size = scorer.size()
        service = StreamService(scorer, TokenCache.of_store(store))
        serve(service, port, lambda: out.print(
            f"AML streaming on http://127.0.0.1:{port}/score; profile {scorer.profile_version}"
            f"{' with its learned scorer' if used is not None and used.scorer is not None else ''}; "
            f"state {directory or 'in memory only'}: "
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
    def evaluate(transactions: list[Path] = typer.Option(..., "--transactions"),
                 labels: Path = typer.Option(..., "--labels", help="Our labels table, AMLSim's nodes.csv / "
                                                                  "accounts.csv / alerts, or AMLworld's file."),
                 split: float = typer.Option(None, "--split", help="Calibrate on this earlier share of the time "
                                                                   "span, score the rest (e.g. 0.5)."),
                 model: str = typer.Option("gbt", "--model", help="With --split: gbt, or none for rules only."),
                 profile: Path = typer.Option(None, "--profile", help="Score these (later) transfers with a profile."),
                 precision_floor: float = typer.Option(None, "--precision-floor"),
                 json_: bool = typer.Option(False, "--json")) -> None:
        """Precision, recall, F1 and PR-AUC of the rules on labelled data: on a time split (--split), with a
        profile (--profile), or per planted typology of a generated set (our labels table alone)."""
        from biplomacy.aml.evaluate import evaluate_files

        if split is not None or profile is not None:
            cli_calibrate.evaluate_accounts(transactions, labels, split, None if model == "none" else model,
                                            profile, precision_floor, json_)
            return
        if len(transactions) != 1:
            from biplomacy.core.errors import InputError

            raise InputError("one file per planted-typology evaluation (or use --split)", field="transactions")

        def render(d: Evaluation) -> None:
            table(f"{d.alerts:,} alerts over {d.transactions:,} transactions",
                  ["typology", "precision", "on any planted", "recall", "planted", "alerts"],
                  [(k, v.precision, v.precision_any_planted, v.recall, v.planted, v.alerts)
                   for k, v in d.typologies.items()])

        emit(evaluate_files(transactions[0], labels), json_, render)

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
                out.print(f"STR {d.report.id} filed by {d.report.created_by}: {d.report.reason}; "
                          f"export it with `supervise aml str-export {d.id} --out FILE`")

        emit(d, json_, render)

    cli_cases.register(aml)
