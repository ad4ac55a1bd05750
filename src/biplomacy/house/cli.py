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


@users_app.command("password")
def users_password(ctx: typer.Context, name: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Set a user's portal password from stdin (one line); every open portal session of that user ends."""
    import sys

    c = context.get(ctx)
    user = users.set_password(c.store(), c.actor(), name, sys.stdin.readline().rstrip("\n"))
    emit(user, json_, lambda u: err.print(f"password of {u.name} changed; its open sessions ended"))


@users_app.command("keys")
def users_keys(ctx: typer.Context, name: str,
               fingerprint: list[str] = typer.Option(..., "--fingerprint", help="A master key fingerprint (8 hex digits); repeat for more devices."),
               json_: bool = typer.Option(False, "--json")) -> None:
    """Tie a signer to their devices' key fingerprints: their uploads are accepted for those keys only."""
    c = context.get(ctx)
    bound = users.bind_keys(c.store(), c.actor(), name, fingerprint)
    emit({"name": name, "fingerprints": list(bound)}, json_,
         lambda d: err.print(f"{name} tied to {', '.join(d['fingerprints'])}"))


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
def audit_verify(
    ctx: typer.Context,
    file: Path = typer.Option(None, "--file", help="Verify an exported JSONL file."),
    expect_head: str = typer.Option(None, "--expect-head", help="A head hash published earlier: the log must still hold it."),
    expect_count: int = typer.Option(None, "--expect-count", min=0,
                                     help="The entry count published with it: the log must have at least this many, "
                                          "and --expect-head must be entry N's hash."),
    checkpoint: Path = typer.Option(None, "--checkpoint", help="A signed checkpoint file kept earlier (JSON)."),
    trust: str = typer.Option(None, "--trust", help="The Ed25519 public key (hex) the checkpoint must be signed with."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Check the hash chain, and that the log still holds what was published; exit 1 naming the problem."""
    from biplomacy.house import audit_checkpoints

    c = context.get(ctx)
    if expect_head is not None and not _is_hash(expect_head):
        raise InputError("--expect-head: give the 64 hex digits of a published head hash", field="--expect-head")
    signed_problem = None
    if checkpoint is not None:
        if not trust:
            raise InputError("--trust: a checkpoint is only worth the key it is checked against; give the "
                             "public key you pinned (64 hex digits)", field="--trust")
        cp = audit_checkpoints.read_file(checkpoint)
        signed_problem = audit_checkpoints.check_signature(cp, audit_checkpoints.trusted_key(trust))
        if expect_head is not None and expect_head.lower() != cp.head or \
                expect_count is not None and expect_count != cp.seq:
            raise InputError("--checkpoint: it names another head or count than --expect-head/--expect-count",
                             field="--checkpoint")
        expect_head, expect_count = cp.head, cp.seq
    if file is not None:
        result = audit.verify_published(_read_export(file), expect_head, expect_count)
    else:
        authorize(c.actor(), "audit.verify")
        with c.store().read() as s:
            result = audit.verify_published(audit.entries(s), expect_head, expect_count)
    doc = result.as_dict()
    if signed_problem is not None:
        doc.update(valid=False, reason=signed_problem)
    emit(doc, json_, lambda d: out.print(
        f"audit log intact: {d['entries']} entries, head {d['head_hash']}"
        + (f"; holds the published head of entry {d['expected']['count']}" if d["expected"]["count"] is not None
           else "; holds the published head" if d["expected"]["head"] else "") if d["valid"]
        else f"[red]audit log fails[/red]: {d['reason']}"))
    if not doc["valid"]:
        raise typer.Exit(1)


def _is_hash(text: str) -> bool:
    text = text.strip().lower()
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


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


key_app = typer.Typer(help="The Ed25519 key that signs audit checkpoints (kept away from the database).",
                      no_args_is_help=True)
audit_app.add_typer(key_app, name="key")


@key_app.command("new")
def audit_key_new(out_file: Path = typer.Option(..., "--out", help="Where to write the private key (mode 0600)."),
                  json_: bool = typer.Option(False, "--json")) -> None:
    """Make a signing key for checkpoints; publish the public key it prints, keep the file off the server."""
    from biplomacy.house import audit_checkpoints

    public = audit_checkpoints.new_key(out_file)
    emit({"key_file": str(out_file), "public_key": public}, json_,
         lambda d: out.print(f"public key (publish it; auditors pin it): {d['public_key']}"))


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context, key: Path = typer.Option(..., "--key", help="The private key from `audit key new`."),
                     out_file: Path = typer.Option(None, "--out", help="Also write the checkpoint to this file."),
                     json_: bool = typer.Option(False, "--json")) -> None:
    """Sign the log's current head and count; the portal publishes it, auditors keep it."""
    from biplomacy.house import audit_checkpoints

    c = context.get(ctx)
    cp = audit_checkpoints.sign(c.store(), c.actor(), audit_checkpoints.load_key(key))
    if out_file is not None:
        _write_json(out_file, cp.as_dict())
    emit(cp.as_dict(), json_, lambda d: out.print(
        f"checkpoint: entry {d['statement']['seq']}, head {d['statement']['head']}, key {d['public_key']}"))


@audit_app.command("checkpoints")
def audit_checkpoints_list(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """The published checkpoints, newest first."""
    from biplomacy.house import audit_checkpoints

    rows = audit_checkpoints.listed(context.get(ctx).store())
    emit([r.as_dict() for r in rows], json_, lambda rs: table(
        "Audit checkpoints", ["seq", "head", "at", "key"],
        [(r["statement"]["seq"], r["statement"]["head"], r["statement"]["at"], r["public_key"]) for r in rs]))


def _write_json(target: Path, doc: object) -> None:
    import json

    if not target.parent.is_dir():
        raise InputError(f"{target}: folder {target.parent} does not exist", field="out")
    target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


@audit_app.command("head")
def audit_head(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
    """The latest entry's hash: publish it, and compare it with the one published before."""
    with context.get(ctx).store().read() as s:
        h = audit.head(s)
    emit({"seq": h.seq if h else 0, "hash": h.hash if h else audit.GENESIS, "at": h.at if h else None}, json_,
         lambda d: out.print(f"audit head: entry {d['seq']}, {d['hash']}"))


def sources(
    pillar: str = typer.Option(None, "--pillar", help="house, energy, reserve, supervision or peers"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """List every real-world figure Biplomacy uses, with its date and source (or its assumption)."""
    facts = load_registry().for_pillar(pillar)
    emit([f.as_dict() for f in facts], json_, lambda _: table(
        "Sources", ["key", "value", "unit", "date", "source"],
        [(f.key, f.value, f.unit, f.date, f.cite()) for f in facts]))


def doctor(ctx: typer.Context, strict: bool = typer.Option(False, "--strict", help="Exit 1 when a check fails."),
           json_: bool = typer.Option(False, "--json")) -> None:
    """Check production settings: secret key, cookie Secure flag, TLS in front, file modes, durability, audit."""
    from biplomacy.house.doctor import diagnose, missing_sqlite_file

    c = context.get(ctx)
    report = diagnose(c.settings, None if missing_sqlite_file(c.settings) else c.store(migrated=False))
    emit(report.as_dict(), json_, lambda d: table(
        "biplomacy doctor", ["check", "ok", "reason"],
        [(ch["name"], "ok" if ch["ok"] else "FAIL", ch["reason"]) for ch in d["checks"]]))
    if strict and not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    from biplomacy.house import cli_backup
    from biplomacy.house import cli_demo as demo

    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.command("sources")(sources)
    app.command("doctor")(doctor)
    cli_backup.register(app)
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
