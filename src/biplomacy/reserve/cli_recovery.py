"""Commands of `biplomacy reserve` (part: recovery): design a policy with recovery paths, show a wallet's paths,
timelocks and lifecycle, refresh coins before a recovery path opens, rotate signers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, out, table
from biplomacy.core.files import read_text
from biplomacy.reserve.cli_custody import CHAIN_URL, JSON, _chain

PROFILE = typer.Option("pakistan-draft", "--policy", help="Policy profile: pakistan-draft, imf-no-accumulation, "
                       "us-eo-no-sale, bhutan.")
WITHIN = typer.Option(None, "--within", help="Warn (or refresh) when a coin is this many blocks or fewer from its "
                      "first recovery path opening (default: the registry's reserve.custody.refresh_warning_blocks).")


def _paths(r: Any) -> None:
    for p in r.paths:
        out.print(f"  {p.words}")


def register(wallet: typer.Typer, spend: typer.Typer) -> None:
    """Add this module's commands to `reserve wallet` and `reserve spend`."""

    @wallet.command("design")
    def design(ctx: typer.Context,
               file: Path = typer.Option(..., "--file", help="The policy: TOML or JSON with script (wsh|tr), "
                                         "primary {threshold, keys}, recovery [{threshold, keys, after_blocks}]."),
               policy: str = PROFILE, as_json: bool = JSON) -> None:
        """Design a policy with recovery paths: print its descriptor (for `wallet add`) and each path in words."""
        from biplomacy.reserve.wallets import design_document, design_wallet

        c = context.get(ctx)
        doc = design_document(read_text(file, "file"), str(file))
        r = design_wallet(c.settings.network, doc, policy)

        def show(r: Any) -> None:
            out.print(f"descriptor: {r.descriptor}")
            _paths(r)

        emit(r, as_json, show)

    @wallet.command("show")
    def show(ctx: typer.Context, name: str = typer.Argument(...), within: int = WITHIN, chain_url: str = CHAIN_URL,
             as_json: bool = JSON) -> None:
        """The wallet's paths in words, each coin against its recovery path's timelock (with refresh warnings),
        and the wallets before and after it."""
        from biplomacy.reserve.refresh import wallet_detail

        c = context.get(ctx)
        r = wallet_detail(c.store(), c.actor(), _chain(c, chain_url), name, within)

        def render(r: Any) -> None:
            out.print(f"wallet {r.wallet.name} ({r.state}): {r.balance_btc:f} BTC, policy {r.wallet.policy}, "
                      f"tip {r.tip}")
            _paths(r.wallet)
            for w in r.warnings:
                out.print(f"[bold red]WARNING[/]: {w}")
            if r.coins:
                table("Coins against their recovery path", ["txid:vout", "BTC", "height", "path", "opens at",
                                                            "blocks left"],
                      [(f"{x.txid[:12]}:{x.vout}", f"{x.btc:f}", x.height, x.path, x.opens_at,
                        ("OPEN" if x.blocks_left == 0 else x.blocks_left)) for x in r.coins])
            if r.successor:
                out.print(f"successor: {r.successor.wallet} (rotation started {r.successor.started_at:%Y-%m-%d})")
            for p in r.predecessors:
                done = f"{p.completed_at:%Y-%m-%d}" if p.completed_at else "pending"
                out.print(f"predecessor: {p.wallet} (rotated {done}, sweep {p.txid or '-'})")

        emit(r, as_json, render)

    @wallet.command("rotate")
    def rotate(ctx: typer.Context, name: str = typer.Argument(..., help="The wallet to rotate away from."),
               to: str = typer.Option(..., "--to", help="The successor wallet's name."),
               descriptor: str = typer.Option(..., "--descriptor", help="The successor's descriptor (a multisig "
                                              "or a policy with recovery paths)."),
               path: str = typer.Option("primary", "--path", help="The path that signs the sweep: primary, or a "
                                        "recovery path once its timelock has passed for every coin."),
               fee_rate: int = typer.Option(2, "--fee-rate", help="sat/vB"),
               policy: str = typer.Option(None, "--policy", help="The successor's policy profile (default: the "
                                          "old wallet's)."),
               purpose: str = typer.Option("", "--purpose", help="Why (default: the rotation in words)."),
               chain_url: str = CHAIN_URL, as_json: bool = JSON) -> None:
        """Replace signers (or M, N, the recovery paths): create the successor wallet and the sweep proposal
        that moves every coin to it; sign and broadcast the sweep as any spend."""
        from biplomacy.reserve.rotation import rotate as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), _chain(c, chain_url), name, to, descriptor, path, fee_rate, policy, purpose)
        emit(r, as_json, lambda r: out.print(
            f"rotation {r.rotation}: {r.wallet} -> {r.successor.name} under {r.profile}; "
            + (f"sweep {r.sweep.id}: {r.sweep.amount_btc:f} BTC to {r.sweep.to}, needs {r.sweep.threshold} "
               f"signatures of the {r.sweep.path} path\n{r.sweep.psbt}" if r.sweep else "no coin to move: complete")))

    @spend.command("refresh")
    def refresh(ctx: typer.Context, name: str = typer.Argument(...), within: int = WITHIN,
                everything: bool = typer.Option(False, "--all", help="Roll every coin, not only those near a "
                                                "recovery path."),
                fee_rate: int = typer.Option(2, "--fee-rate", help="sat/vB"),
                purpose: str = typer.Option("", "--purpose", help="Why (default: the refresh in words)."),
                chain_url: str = CHAIN_URL, as_json: bool = JSON) -> None:
        """Propose a refresh: coins near their recovery path back into the wallet by the primary path, which
        restarts their timelocks (Liana's refresh)."""
        from biplomacy.reserve.refresh import refresh as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), _chain(c, chain_url), name, within, everything, fee_rate, purpose)
        emit(r, as_json, lambda r: out.print(f"refresh {r.id}: {r.amount_btc:f} BTC back to {r.to}, fee "
                                             f"{r.fee_sats} sat, needs {r.threshold} signatures\n{r.psbt}"))
