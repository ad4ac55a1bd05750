"""The --workers / --scheduler options every heavy command takes (supervise aml scan, supervise solvency build,
energy risk), read the same way everywhere: house.cluster.choose does the checking."""

from __future__ import annotations

import typer

from biplomacy.cli import context
from biplomacy.house.cluster import Engine, choose

WORKERS_HELP = ("Run on a local Dask cluster of this many worker processes (docs/scale-out.md); the result is "
                "the same as in-process.")
SCHEDULER_HELP = ("Run on the Dask cluster whose scheduler listens here, e.g. tcp://10.0.0.5:8786 (default: "
                  "BIPLOMACY_DASK_SCHEDULER; without either, in-process).")


def workers_option() -> str | None:
    return typer.Option(None, "--workers", help=WORKERS_HELP)  # type: ignore[no-any-return]


def scheduler_option() -> str | None:
    return typer.Option(None, "--scheduler", help=SCHEDULER_HELP)  # type: ignore[no-any-return]


def engine(ctx: typer.Context, workers: str | None, scheduler: str | None) -> Engine:
    """The engine the command line asked for (an InputError naming --workers or --scheduler otherwise)."""
    return choose(workers, scheduler, context.get(ctx).settings.dask_scheduler)
