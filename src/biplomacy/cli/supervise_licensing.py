"""Commands of `biplomacy supervise` (part: licensing): solvency proofs, licences, the register, returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, err, out, table


def _solvency(app: typer.Typer) -> None:
    solvency = typer.Typer(help="Exchange proofs of solvency: Merkle-sum snapshots, user proofs, reserves.",
                           no_args_is_help=True)
    app.add_typer(solvency, name="solvency")

    @solvency.command("build")
    def build(
        liabilities: Path = typer.Option(..., "--liabilities", help="CSV: user_id,asset,balance[,unit]."),
        out_dir: Path = typer.Option(..., "--out", help="Folder for root.json and proofs/."),
        height: int = typer.Option(None, "--snapshot-height", help="Block height of the snapshot."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Build a Merkle-sum snapshot of the liabilities; write the root and one proof per user."""
        from biplomacy.services.supervision_solvency import build_solvency

        def progress(done: int, total: int) -> None:
            err.print(f"proofs written: {done:,} of {total:,}")

        result = build_solvency(liabilities, out_dir, height=height, progress=progress)

        def render(r: dict[str, Any]) -> None:
            out.print(f"root {r['root']} ({r['users']:,} users, depth {r['depth']})")
            table("Totals", ["asset", "total", "unit"], [(a, f"{v:,}", r["units"][a]) for a, v in r["totals"].items()])
            out.print(f"published: {r['root_file']}; proofs: {r['proofs_dir']}")

        emit(result, as_json, render)

    @solvency.command("verify")
    def verify(
        proof: Path = typer.Option(..., "--proof", help="A user's proof JSON."),
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Check a proof offline: recompute the path, check every sum, compare with the published root."""
        from biplomacy.services.supervision_solvency import verify_solvency_proof

        result = verify_solvency_proof(proof, root)
        emit(result, as_json, lambda r: out.print(
            f"VALID: {r['user_id']} holds {r['balances']} in root {r['root'][:16]}..." if r["valid"]
            else f"INVALID: {r['reason']}"))

    @solvency.command("reserves")
    def reserves(
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        reserves_file: Path = typer.Option(..., "--reserves", help="CSV or JSON: asset,address,balance[,message,"
                                                                 "signature]."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Compare liabilities per asset with on-chain reserves and report the solvency ratio."""
        from biplomacy.services.supervision_solvency import solvency_against_reserves

        result = solvency_against_reserves(root, reserves_file)

        def render(r: dict[str, Any]) -> None:
            table("Solvency", ["asset", "liabilities", "reserves", "proven", "ratio", "covered"],
                  [(a, f"{v['liabilities']:,}", f"{v['reserves']:,}", f"{v['proven_reserves']:,}", v["ratio"],
                    v["covered"]) for a, v in r["assets"].items()])
            out.print("SOLVENT" if r["solvent"] else "NOT SOLVENT: some asset is not covered")

        emit(result, as_json, render)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `supervise` sub-app."""
    _solvency(app)
