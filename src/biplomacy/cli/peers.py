"""`biplomacy peers`: commands of the peers pillar."""

import typer

app = typer.Typer(help="peers", no_args_is_help=True)
