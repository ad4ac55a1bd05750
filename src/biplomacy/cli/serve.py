"""`biplomacy serve`: run the web portal."""

import typer


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the root app."""
