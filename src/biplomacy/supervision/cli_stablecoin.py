"""`biplomacy supervise stablecoin`: stablecoin issuers' reserve attestations against the reserve rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, out


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


def register(app: typer.Typer) -> None:
    register_stablecoin(app)
