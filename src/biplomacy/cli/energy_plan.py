"""Commands of `biplomacy energy` (part: plan)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `energy` sub-app."""
