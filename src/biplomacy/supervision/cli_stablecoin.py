"""`biplomacy supervise stablecoin`: stablecoin issuers' reserve attestations against the reserve rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from biplomacy.cli.output import emit, out
from biplomacy.supervision.results import AttestationVerdict, RecordedAttestation


def _render(result: AttestationVerdict | RecordedAttestation) -> None:
    d = result.verdict if isinstance(result, RecordedAttestation) else result
    verdict = "[green]compliant[/green]" if d.compliant else "[red]not compliant[/red]"
    out.print(f"{d.issuer} {d.token} as of {d.as_of}: {verdict}; backing ratio {_plain(d.backing_ratio)}, "
              f"liquid share {_plain(d.liquid_share)}")
    for b in d.breaches:
        out.print(f"  [red]{b.rule}[/red]: {b.message}")
    for s in d.sources:
        source = s["source"] if isinstance(s["source"], dict) else {}
        out.print(f"  {s['key']} = {s['value']} {s['unit']} "
                  f"({source.get('title') or 'assumption: ' + str(s['assumption'])})")


def _plain(ratio: Decimal | None) -> str:
    """A ratio as its JSON shows it: exact digits, never an exponent."""
    return "None" if ratio is None else format(ratio, "f")


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

        if licence:
            from biplomacy.cli import context

            c = context.get(ctx)
            emit(record_attestation(c.store(), c.actor(), licence, file), json_, _render)
        else:
            emit(check_file(file), json_, _render)


def register(app: typer.Typer) -> None:
    register_stablecoin(app)
