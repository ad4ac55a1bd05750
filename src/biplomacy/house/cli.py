"""House commands: db (migrations), sources, audit, users, serve, demo."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import authorize
from biplomacy.core.provenance import load_registry
from biplomacy.house import audit, users
from biplomacy.store import migrate

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


users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str,
    role: str = typer.Option(..., "--role", help="public, analyst, supervisor, signer, auditor, admin or vasp"),
    institution: str = typer.Option("", "--institution"),
    lei: str = typer.Option(None, "--lei", help="For --role vasp: the LEI of the licensed entity it acts for."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read a portal password from stdin."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Add a user with one role (a vasp user is bound to one licensed entity by --lei)."""
    import sys

    c = context.get(ctx)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user = users.add_user(c.store(), c.actor(), name, role, institution, password, lei)
    emit(user, json_, lambda u: err.print(f"added {u.name} ({u.role}{', ' + u.lei if u.lei else ''})"))


@users_app.command("role")
def users_role(ctx: typer.Context, name: str, role: str = typer.Option(..., "--role"),
               lei: str = typer.Option(None, "--lei", help="For --role vasp: the entity's LEI."),
               json_: bool = typer.Option(False, "--json")) -> None:
    """Change a user's role (its open portal sessions end)."""
    c = context.get(ctx)
    emit(users.set_role(c.store(), c.actor(), name, role, lei), json_,
         lambda u: err.print(f"{u.name} is now {u.role}{', ' + u.lei if u.lei else ''}"))


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Disable a user: password, tokens and open portal sessions stop working."""
    c = context.get(ctx)
    emit(users.set_active(c.store(), c.actor(), name, False), json_, lambda u: err.print(f"{u.name} disabled"))


@users_app.command("enable")
def users_enable(ctx: typer.Context, name: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Enable a disabled user again."""
    c = context.get(ctx)
    emit(users.set_active(c.store(), c.actor(), name, True), json_, lambda u: err.print(f"{u.name} enabled"))


@users_app.command("list")
def users_list(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """List users and their roles."""
    c = context.get(ctx)
    rows = users.list_users(c.store(), c.actor())
    emit(rows, json_, lambda rs: table("Users", ["name", "role", "institution", "LEI", "active"],
                                       [(u.name, u.role, u.institution, u.lei or "", u.active) for u in rs]))


@users_app.command("token")
def users_token(ctx: typer.Context, name: str, label: str = typer.Option("", "--label"),
                json_: bool = typer.Option(False, "--json")) -> None:
    """Issue an API token (shown once; only its hash is kept)."""
    c = context.get(ctx)
    token_id, token = users.issue_token(c.store(), c.actor(), name, label)
    emit({"id": token_id, "user": name, "token": token}, json_,
         lambda d: out.print(f"token {d['id']} for {name} (shown once): {d['token']}"))


@users_app.command("revoke")
def users_revoke(ctx: typer.Context, token_id: int, json_: bool = typer.Option(False, "--json")) -> None:
    """Revoke an API token by id."""
    c = context.get(ctx)
    users.revoke_token(c.store(), c.actor(), token_id)
    emit({"id": token_id, "revoked": True}, json_, lambda d: err.print(f"token {token_id} revoked"))


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, file: Path = typer.Option(None, "--file", help="Verify an exported JSONL file."),
                 json_: bool = typer.Option(False, "--json")) -> None:
    """Check the hash chain; exit 1 naming the first bad entry when it is broken."""
    c = context.get(ctx)
    if file is not None:
        result = audit.verify(_read_export(file))
    else:
        authorize(c.actor(), "audit.verify")
        with c.store().read() as s:
            result = audit.verify(audit.entries(s))
    emit(result.as_dict(), json_, lambda d: out.print(
        f"audit log intact: {d['entries']} entries, head {d['head_hash']}" if d["valid"]
        else f"[red]audit log broken at entry {d['first_bad_seq']}[/red]: {d['reason']}"))
    if not result.ok:
        raise typer.Exit(1)


def _read_export(file: Path) -> list[dict[str, object]]:
    import json

    if not file.is_file():
        raise InputError(f"--file: {file} does not exist", field="--file")
    rows = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{file}: line {n} is not JSON ({exc.msg})", field="--file") from None
        missing = {"seq", "at", "actor", "action", "subject", "payload", "payload_hash", "prev_hash", "hash"} - set(row)
        if missing:
            raise InputError(f"{file}: line {n} lacks {', '.join(sorted(missing))}", field="--file")
        rows.append(row)
    return rows


@audit_app.command("export")
def audit_export(ctx: typer.Context, out_file: Path = typer.Option(None, "--out", help="Write here, not stdout.")) -> None:
    """Export the log as JSON lines anyone can re-verify (docs/audit.md)."""
    c = context.get(ctx)
    authorize(c.actor(), "audit.read")
    with c.store().read() as s:
        if out_file is None:
            for line in audit.export_lines(s):
                print(line)
            return
        count = audit.export_jsonl(s, out_file)
    err.print(f"wrote {count} entries to {out_file}")


@audit_app.command("head")
def audit_head(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """The latest entry's hash: publish it, and compare it with the one published before."""
    with context.get(ctx).store().read() as s:
        h = audit.head(s)
    emit({"seq": h.seq if h else 0, "hash": h.hash if h else audit.GENESIS, "at": h.at if h else None}, json_,
         lambda d: out.print(f"audit head: entry {d['seq']}, {d['hash']}"))


def sources(
    pillar: str = typer.Option(None, "--pillar", help="house, energy, reserve, supervision or peers"),
    stale: bool = typer.Option(False, "--stale", help="Only figures older than a year (standing rules left out): "
                                                      "what to refresh."),
    as_of: str = typer.Option(None, "--as-of", help="With --stale: the day to measure age from (YYYY-MM-DD; "
                                                     "default today)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """List every real-world figure Biplomacy uses, with its date and source (or its assumption)."""
    from datetime import date

    reg = load_registry()
    if as_of is not None and not stale:
        raise InputError("--as-of goes with --stale", field="as_of")
    if not stale:
        facts = reg.for_pillar(pillar)
        emit([f.as_dict() for f in facts], json_, lambda _: table(
            "Sources", ["key", "value", "unit", "date", "source"],
            [(f.key, f.value, f.unit, f.date, f.cite()) for f in facts]))
        return
    try:
        today = date.fromisoformat(as_of) if as_of is not None else date.today()
    except ValueError:
        raise InputError(f"{as_of!r} is not a date (YYYY-MM-DD)", field="as_of") from None
    old = reg.stale(today, pillar)
    rows = [f.as_dict() | {"age_days": f.age_days(today)} for f in old]
    emit(rows, json_, lambda _: table(
        f"Figures older than a year on {today.isoformat()} ({len(old)}): refresh these",
        ["key", "value", "unit", "date", "age (days)", "source"],
        [(f.key, f.value, f.unit, f.date, f"{f.age_days(today):,}", f.cite()) for f in old]))


def register(app: typer.Typer) -> None:
    from biplomacy.house import cli_demo as demo

    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.command("sources")(sources)
    demo.register(app)


@db_app.command("stress-write", hidden=True)
def db_stress_write(ctx: typer.Context, count: int = typer.Argument(..., min=1),
                    batch: int = typer.Option(100, "--batch", min=1)) -> None:
    """Write COUNT users in batches, each batch with its audit entry in one transaction (for crash tests)."""
    import sys
    from datetime import UTC, datetime

    from biplomacy.house.tables import UserRow

    c = context.get(ctx)
    store = c.store()
    written = 0
    while written < count:
        n = min(batch, count - written)
        with store.transaction() as s:
            s.add_all(UserRow(name=f"stress-{written + i:07d}", role="public", institution="stress",
                              password_hash="", active=True, created_at=datetime.now(UTC)) for i in range(n))
            s.flush()
            audit.record(s, actor=c.actor().name, action="db.stress_write", subject=f"batch/{written}",
                         payload={"first": written, "count": n})
        written += n
        sys.stdout.write(f"committed {written}\n")
        sys.stdout.flush()
