"""House commands: db (migrations), sources, audit, users, serve, demo."""

from __future__ import annotations

import typer

from biplomacy.adapters.store import migrate
from biplomacy.cli import context
from biplomacy.cli.output import emit, err

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """Apply every migration (safe to repeat)."""
    c = context.get(ctx)
    store = c.store(migrated=False)
    migrate.upgrade(store)
    emit({"database": store.url.split("@")[-1], "heads": sorted(migrate.current_heads(store))}, json_,
         lambda d: err.print(f"database migrated: {d['database']}"))


@db_app.command("status")
def db_status(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """Show applied and expected migration heads."""
    store = context.get(ctx).store(migrated=False)
    store.check_reachable()
    have, want = migrate.current_heads(store), migrate.script_heads()
    emit({"applied": sorted(have), "expected": sorted(want), "up_to_date": have == want}, json_)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
