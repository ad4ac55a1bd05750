"""`biplomacy supervise`: commands of the supervise pillar."""

import typer

app = typer.Typer(help="supervise", no_args_is_help=True)
