"""`biplomacy reserve rehearsal-signer`: make a rehearsal key, show its xpub, sign a rehearsal PSBT (embit).

For rehearsals only: refused when the deployment is on Bitcoin's main chain. Real signers use their own wallets
(Electrum, Sparrow, a hardware wallet): docs/signers.md.
"""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, out
from biplomacy.core.errors import InputError

JSON = typer.Option(False, "--json")
KEY = typer.Option(None, "--key", help="A rehearsal key file (tprv), from `rehearsal-signer new`.")
INSTITUTION = typer.Option(None, "--institution", help="One of the demo's five signers (public seeds): "
                                                       "finance-ministry, central-bank, crypto-council, regulator, custodian.")


def _key(key: Path | None, institution: str | None) -> tuple[object, str]:
    from biplomacy.reserve import rehearsal_signer

    if (key is None) == (institution is None):
        raise InputError("give either --key KEYFILE or --institution NAME", field="key")
    if key is not None:
        return rehearsal_signer.load_key(key), str(key)
    return rehearsal_signer.demo_key(str(institution)), f"demo signer {institution}"


def register(app: typer.Typer) -> None:
    signer = typer.Typer(help="REHEARSALS ONLY: a signer's key and PSBT signing without a wallet (refused on "
                              "mainnet).", no_args_is_help=True)
    app.add_typer(signer, name="rehearsal-signer")

    @signer.command("new")
    def new(ctx: typer.Context, out_file: Path = typer.Option(..., "--out", help="Where to write the new key file."),
            json_: bool = JSON) -> None:
        """Make a random rehearsal key; prints the key expression the operator puts in the wallet's descriptor."""
        from biplomacy.reserve import rehearsal_signer

        k = rehearsal_signer.new_key(context.get(ctx).settings.network, out_file)
        emit(k, json_, lambda k: out.print(f"REHEARSAL key {k.fingerprint} written to {k.file}\n"
                                           f"hand the operator this key expression:\n{k.key_expression}"))

    @signer.command("show")
    def show(ctx: typer.Context, key: Path = KEY, institution: str = INSTITUTION, json_: bool = JSON) -> None:
        """The key's fingerprint, account xpub and key expression (never the private key)."""
        from biplomacy.reserve import rehearsal_signer

        root, where = _key(key, institution)
        k = rehearsal_signer.describe(context.get(ctx).settings.network, root, where)  # type: ignore[arg-type]
        emit(k, json_, lambda k: out.print(f"REHEARSAL key {k.fingerprint}: {k.key_expression}"))

    @signer.command("sign")
    def sign(ctx: typer.Context, psbt: Path = typer.Option(..., "--psbt", help="The proposal's PSBT (base64 or binary)."),
             out_file: Path = typer.Option(..., "--out", help="Where to write the signed PSBT (base64)."),
             key: Path = KEY, institution: str = INSTITUTION, json_: bool = JSON) -> None:
        """Sign a rehearsal PSBT; hand the result back with `reserve spend submit ID --psbt OUT`."""
        from biplomacy.reserve import rehearsal_signer

        root, _ = _key(key, institution)
        s = rehearsal_signer.sign(context.get(ctx).settings.network, root, psbt, out_file)  # type: ignore[arg-type]
        emit(s, json_, lambda s: out.print(f"REHEARSAL: key {s.fingerprint} signed {s.inputs_signed} input(s); "
                                           f"submit {s.out} with `biplomacy reserve spend submit ID --psbt {s.out}`"))
