"""Commands of `biplomacy supervise` (part: aml)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `supervise` sub-app."""
