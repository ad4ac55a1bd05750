"""`biplomacy reserve`: the strategic reserve: multisig wallets, spends, ledger, proofs."""

import typer

from biplomacy.reserve import cli_custody as reserve_custody
from biplomacy.reserve import cli_proofs as reserve_proofs
from biplomacy.reserve import cli_recovery as reserve_recovery
from biplomacy.reserve import cli_signer as reserve_signer
from biplomacy.reserve.rehearsal import cli as rehearsal_cli

app = typer.Typer(help="the strategic reserve: multisig wallets, spends, ledger, proofs.", no_args_is_help=True)

reserve_proofs.register(app)
reserve_recovery.register(*reserve_custody.register(app))
rehearsal_cli.register(app)
reserve_signer.register(app)
