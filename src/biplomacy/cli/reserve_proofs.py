"""Commands of `biplomacy reserve` (part: proofs)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `reserve` sub-app."""
