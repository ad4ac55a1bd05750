"""`biplomacy energy`: commands of the energy pillar."""

import typer

app = typer.Typer(help="energy", no_args_is_help=True)
