"""`biplomacy backup` and `biplomacy restore`: the whole installation to one file and back, verified."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.house import backup as backups


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(ctx: typer.Context,
               out_file: Path = typer.Option(..., "--out", help="The backup file to write (a .tar.gz, mode 0600)."),
               json_: bool = typer.Option(False, "--json")) -> None:
        """Back up the database and the AML stream state, consistently while the portal runs."""
        c = context.get(ctx)
        result = backups.backup(c.store(), c.settings, c.actor(), out_file)
        emit(result.as_dict(), json_, lambda d: out.print(
            f"backup written to {d['file']}: {d['backend']}, {d['audit_entries']} audit entries "
            f"(head {d['audit_head']}), {sum(d['tables'].values())} rows in {len(d['tables'])} tables, "
            f"{d['stream_files']} AML stream files"))

    @app.command("restore")
    def restore(ctx: typer.Context, file: Path = typer.Argument(..., help="A file written by `biplomacy backup`."),
                replace: bool = typer.Option(False, "--replace",
                                             help="Replace a database that is not empty (SQLite: the old file is kept)."),
                json_: bool = typer.Option(False, "--json")) -> None:
        """Restore a backup into the configured database and check it (migrations, audit chain, counts)."""
        c = context.get(ctx)
        result = backups.restore(c.settings, c.actor(), file, replace=replace)
        emit(result.as_dict(), json_, lambda d: table(
            f"restore into {d['database']}: {'verified' if d['ok'] else 'FAILED'}", ["check", "ok", "reason"],
            [(ch["name"], "ok" if ch["ok"] else "FAIL", ch["reason"]) for ch in d["checks"]]))
        if not result.ok:
            err.print("the restored database does not match the backup (see above); nothing was replaced"
                      if result.backend == "sqlite" else "the restored database does not match the backup (see above)")
            raise typer.Exit(1)
