"""The supervision pillar's commands of `biplomacy supervise`: solvency, licences, the register, returns, stablecoins."""

import typer

from biplomacy.supervision import cli_licensing, cli_register, cli_returns, cli_solvency, cli_stablecoin


def register(app: typer.Typer) -> None:
    cli_solvency.register(app)
    cli_licensing.register(app)
    cli_register.register(app)
    cli_returns.register(app)
    cli_stablecoin.register(app)
