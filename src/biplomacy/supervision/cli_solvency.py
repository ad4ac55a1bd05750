"""`biplomacy supervise solvency`: exchange proofs of solvency (Merkle-sum snapshots, user proofs, reserves)."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli.cluster import engine, scheduler_option, workers_option
from biplomacy.cli.output import emit, err, out, table
from biplomacy.supervision.results import RecordedCoverage, ReserveCoverageReport, SolvencyBuild


def _render_coverage(report: ReserveCoverageReport) -> None:
    table("Solvency", ["asset", "liabilities", "reserves", "proven", "ratio", "covered"],
          [(a, f"{v.liabilities:,}", f"{v.reserves:,}", f"{v.proven_reserves:,}",
            None if v.ratio is None else format(v.ratio, "f"), v.covered) for a, v in report.assets.items()])
    out.print("SOLVENT" if report.solvent else "NOT SOLVENT: some asset is not covered")


def _solvency(app: typer.Typer) -> None:
    solvency = typer.Typer(help="Exchange proofs of solvency: Merkle-sum snapshots, user proofs, reserves.",
                           no_args_is_help=True)
    app.add_typer(solvency, name="solvency")

    @solvency.command("build")
    def build(
        ctx: typer.Context,
        liabilities: Path = typer.Option(..., "--liabilities", help="CSV: user_id,asset,balance[,unit]."),
        out_dir: Path = typer.Option(..., "--out", help="Folder for root.json and proofs/."),
        height: int = typer.Option(None, "--snapshot-height", help="Block height of the snapshot."),
        workers: str | None = workers_option(),
        scheduler: str | None = scheduler_option(),
        proofs: str = typer.Option("files", "--proofs", help="files: one proof JSON per user in proofs/ (the "
                                   "default); partitions: kept per subtree of 2^20 users, for exchanges too big "
                                   "for a file per user (`solvency proof` renders one user's)."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Build a Merkle-sum snapshot of the liabilities; write the root and one proof per user.

        With --workers or --scheduler the tree is built in parts on a Dask cluster: the same root for the same
        snapshot key, and the same proof files (docs/scale-out.md)."""
        from biplomacy.supervision.solvency import build_solvency

        where = engine(ctx, workers, scheduler)
        if not where.in_process or proofs != "files":
            from biplomacy.supervision.solvency_parts import build_in_parts

            def step(done: int, total: int) -> None:
                err.print(f"parts done: {done:,} of {total:,}")

            result = build_in_parts(liabilities, out_dir, where, height=height, layout=proofs, progress=step)
        else:
            def progress(done: int, total: int) -> None:
                err.print(f"proofs written: {done:,} of {total:,}")

            result = build_solvency(liabilities, out_dir, height=height, progress=progress)

        def render(r: SolvencyBuild) -> None:
            out.print(f"root {r.root} ({r.users:,} users, depth {r.depth})")
            table("Totals", ["asset", "total", "unit"], [(a, f"{v:,}", r.units[a]) for a, v in r.totals.items()])
            out.print(f"published: {r.root_file}; proofs: {r.proofs_dir}")

        emit(result, as_json, render)

    @solvency.command("proof")
    def proof(
        snapshot: Path = typer.Option(..., "--snapshot", help="The --out folder of a build run with --proofs "
                                      "partitions (its proofs are kept per subtree)."),
        user: str = typer.Option(..., "--user", help="The user id, as in the liabilities file."),
        to: Path = typer.Option(None, "--out", help="Write the proof JSON here (default: stdout)."),
    ) -> None:
        """Render one user's proof from a snapshot built in parts: the JSON a customer is handed."""
        from biplomacy.supervision.solvency_parts import partition_proof

        text = partition_proof(snapshot, user)
        if to is None:
            typer.echo(text)
        else:
            to.write_text(text + "\n", encoding="utf-8")
            err.print(f"proof of {user} written to {to}")

    @solvency.command("verify")
    def verify(
        proof: Path = typer.Option(..., "--proof", help="A user's proof JSON."),
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Check a proof offline: recompute the path, check every sum, compare with the published root."""
        from biplomacy.supervision.solvency import verify_solvency_proof

        result = verify_solvency_proof(proof, root)
        emit(result, as_json, lambda r: out.print(
            f"VALID: {r.user_id} holds {r.balances} in root {(r.root or '')[:16]}..." if r.valid
            else f"INVALID: {r.reason}"))

    @solvency.command("reserves")
    def reserves(
        ctx: typer.Context,
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        reserves_file: Path = typer.Option(..., "--reserves", help="CSV or JSON: asset,address,balance[,message,"
                                                                 "signature]."),
        licence: str = typer.Option(None, "--licence", help="Record the result against this licence (register)."),
        from_chain: bool = typer.Option(False, "--from-chain", help="Read BTC balances from the chain (Esplora "
                                        "at BIPLOMACY_ESPLORA_URL, else the rehearsal chain) at the snapshot height."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Compare liabilities per asset with on-chain reserves and report the solvency ratio."""
        from biplomacy.supervision.solvency import solvency_against_reserves

        chain = None
        if from_chain:
            from biplomacy.cli import context
            from biplomacy.reserve.rehearsal.source import chain_for

            c = context.get(ctx)
            chain = chain_for(c.store(), c.settings)
        report = solvency_against_reserves(root, reserves_file, chain)
        result: ReserveCoverageReport | RecordedCoverage = report
        if licence:
            from biplomacy.cli import context
            from biplomacy.supervision.returns import record_solvency

            c = context.get(ctx)
            result = record_solvency(c.store(), c.actor(), licence, report)
        emit(result, as_json, lambda _: _render_coverage(report))


def register(app: typer.Typer) -> None:
    _solvency(app)
