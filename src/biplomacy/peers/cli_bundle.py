"""`biplomacy peers key|bundle|adopted|published`: the knowledge exchange between programs from the terminal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.core.errors import InputError
from biplomacy.core.jsonable import to_jsonable
from biplomacy.peers import bundles, keys
from biplomacy.peers.bundle_files import read_bundle_file, write_text_file
from biplomacy.peers.results import BundleCheck


def _when(text: str | None) -> datetime | None:
    """--at: verify as of this time (ISO 8601 with offset), e.g. to show a bundle expires."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 time such as 2026-01-31T12:00:00+00:00", field="at") from None
    if at.tzinfo is None:
        raise InputError(f"{text!r} has no offset (add +00:00)", field="at")
    return at


def _trust(text: str) -> str:
    """--trust: the key itself (`ed25519:...`) or a file holding it, as the issuer published it."""
    if text.strip().startswith("ed25519:"):
        return text.strip()
    path = Path(text)
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise InputError(f"{text[:80]}: cannot read a public key from it", field="trust") from None
    raise InputError("give the issuer's public key (ed25519:...) or a file holding it", field="trust")


def _render_check(c: BundleCheck) -> None:
    issuer = c.issuer or {}
    status = "[green]valid[/green]" if c.valid else "[red]REFUSED[/red]"
    out.print(f"bundle {c.sha256[:16]}… {status}: {escape(str(issuer.get('program', '?')))} "
              f"({escape(str(issuer.get('country', '?')))}), version {escape(str(c.bundle_version))}, "
              f"issued {c.issued_at}, expires {c.expires_at}")
    for p in c.problems:
        out.print(escape(f"  - {p['code']}: {p['path']}: {p['message']}"))
    for d in c.parts:
        mark = "adopted now" if d.adopted else ("adopted before" if d.already_adopted else "not adopted")
        out.print(escape(f"  part {d.name} ({d.title}): {d.changes_total} change(s) against {d.ours}; {mark}"))
        for ch in d.changes[:8]:
            out.print(escape(f"      {ch['change']:>7} {ch['path']}: {_short(ch['ours'])} -> {_short(ch['theirs'])}"))
        if d.changes_total > 8:
            out.print(f"      … {d.changes_total - 8} more (see --json)")


def _short(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def register(app: typer.Typer) -> None:
    key = typer.Typer(help="The program's Ed25519 signing key.", no_args_is_help=True)
    bundle = typer.Typer(help="Signed exchange bundles: export, verify, import.", no_args_is_help=True)
    app.add_typer(key, name="key")
    app.add_typer(bundle, name="bundle")

    @key.command("new")
    def key_new(out_: Path = typer.Option(..., "--out", help="Where to write the private key (PEM, mode 0600)."),
                json_: bool = typer.Option(False, "--json")) -> None:
        """Make a signing key; prints the public key to publish on the portal and give to peers (--trust)."""
        made = keys.new_key(out_)
        emit(made.to_json(), json_, lambda d: out.print(f"public key: {d['public_key']}\nprivate key: "
                                                        f"{escape(d['key_file'])} (keep it offline; never share it)"))

    @bundle.command("export")
    def bundle_export(
        ctx: typer.Context,
        key_file: Path = typer.Option(..., "--key", help="The private key from `peers key new`."),
        out_: Path = typer.Option(..., "--out", help="The bundle file to write."),
        program: str = typer.Option("Biplomacy installation", "--program", help="Who issues it (a program's name)."),
        country: str = typer.Option("PK", "--country", help="The issuing country's code."),
        version: str = typer.Option("1", "--bundle-version", help="This bundle's version, as the issuer numbers it."),
        part: list[str] = typer.Option([], "--part", help="A part to include (repeat; default every part there is)."),
        days: int = typer.Option(bundles.DEFAULT_DAYS, "--days", help="Days until the bundle expires."),
        aml_evaluation: Path = typer.Option(None, "--aml-evaluation",
                                            help="`supervise aml evaluate --json` output to ship as the rules' scores."),
        json_: bool = typer.Option(False, "--json"),
    ) -> None:
        """Sign a bundle of what this program has learned; it is also offered for download on the portal."""
        c = context.get(ctx)
        store, actor = c.store(), c.actor()
        built = bundles.build_bundle(store, actor, key_file, program=program, country=country, bundle_version=version,
                                     parts=part, days=days, aml_evaluation=aml_evaluation)
        write_text_file(out_, built.text)
        bundles.keep_published(store, actor, built, out=str(out_))
        doc = built.to_json() | {"file": str(out_)}
        err.print(f"wrote {out_}")
        emit(doc, json_, lambda d: table(f"bundle {d['sha256'][:16]}… signed by {d['issuer']['public_key']}",
                                         ["part", "sha256"], [(p["name"], p["sha256"]) for p in d["parts"]]))

    @bundle.command("verify")
    def bundle_verify(path: Path = typer.Argument(..., metavar="BUNDLE"),
                      trust: str = typer.Option(..., "--trust", help="The issuer's public key (or a file holding it)."),
                      at: str = typer.Option(None, "--at", help="Verify as of this time (default now)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Check signature, hashes, schema and dates; prints valid and every problem (exit 0 either way)."""
        check = bundles.verify_bundle(read_bundle_file(path), _trust(trust), _when(at))
        emit(check.to_json(), json_, lambda _: _render_check(check))

    @bundle.command("import")
    def bundle_import(ctx: typer.Context, path: Path = typer.Argument(..., metavar="BUNDLE"),
                      trust: str = typer.Option(..., "--trust", help="The issuer's public key (or a file holding it)."),
                      adopt: list[str] = typer.Option([], "--adopt", help="A part to adopt (repeat); none: diff only."),
                      at: str = typer.Option(None, "--at", help="Verify as of this time (default now)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Verify a peer's bundle, show each part's diff against this installation, adopt the parts named."""
        c = context.get(ctx)
        check = bundles.import_bundle(c.store(), c.actor(), read_bundle_file(path), _trust(trust), adopt, _when(at))
        emit(check.to_json(), json_, lambda _: _render_check(check))

    @app.command("adopted")
    def adopted(ctx: typer.Context, ident: int = typer.Argument(None, metavar="[ID]"),
                out_: Path = typer.Option(None, "--out", help="Write the adopted part's content to FILE "
                                                               "(an aml-rules part: its thresholds TOML)."),
                json_: bool = typer.Option(False, "--json")) -> None:
        """The parts adopted from peers' bundles, or one of them (with --out, its content as a file)."""
        store = context.get(ctx).store()
        if ident is None:
            rows = bundles.adoptions(store)
            emit(rows, json_, lambda rs: table(f"{len(rs)} adopted part(s)", ["id", "part", "from", "bundle", "adopted"],
                                               [(r.id, r.part, f"{r.program} ({r.country})", r.bundle_sha256[:16],
                                                 f"{r.adopted_at} by {r.adopted_by}") for r in rs]))
            return
        found, content = bundles.adopted_content(store, ident)
        if out_ is not None:
            text = content["thresholds_toml"] if found.kind == "aml-rules" else bundles.canonical_text(content)
            write_text_file(out_, text)
            err.print(f"wrote {out_}")
        emit({"adoption": to_jsonable(found), "content": content}, json_,
             lambda d: out.print(escape(f"{found.part} from {found.program}, bundle {found.bundle_sha256}")))

    @app.command("published")
    def published(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        """The bundles this installation exported (the portal offers them, with the key that verifies them)."""
        rows = bundles.published(context.get(ctx).store())
        emit(rows, json_, lambda rs: table(f"{len(rs)} published bundle(s)", ["id", "sha256", "issued", "expires",
                                                                              "public key", "parts"],
                                           [(r.id, r.sha256[:16], r.issued_at, r.expires_at, r.public_key,
                                             ", ".join(r.parts)) for r in rs]))
