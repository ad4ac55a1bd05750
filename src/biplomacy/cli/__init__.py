"""The `biplomacy` command line: a thin Typer app, one module per pillar."""
