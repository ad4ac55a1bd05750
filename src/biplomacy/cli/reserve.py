"""`biplomacy reserve`: commands of the reserve pillar."""

import typer

app = typer.Typer(help="reserve", no_args_is_help=True)
