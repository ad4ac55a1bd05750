"""`biplomacy review`: the IMF review pack (HTML and PDF from stored inputs) and the diff of two packs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out, table
from biplomacy.house import review, review_files

app = typer.Typer(help="The IMF review pack: write it, diff two of them.", no_args_is_help=True)


@app.command("pack")
def pack(ctx: typer.Context, out_: Path = typer.Option(..., "--out", help="Folder for review.html, review.pdf, "
                                                                          "review.json."),
         json_: bool = typer.Option(False, "--json")) -> None:
    """Write the briefing a programme review asks for, from stored inputs alone (auditors, supervisors, admins)."""
    c = context.get(ctx)
    doc = review.build_pack(c.store(), c.actor())
    files = review_files.write_pack(doc, out_)
    err.print(f"wrote {', '.join(str(f) for f in files)}")
    summary = {"html": str(files[1]), "pdf": str(files[2]), "json": str(files[0]),
               "generated_at": doc["generated_at"], "audit_head": doc["audit"]["head_hash"],
               "sources": len(doc["sources"]), "reserve_flags": doc["reserve"]["flag_count"],
               "rehearsal": doc["reserve"]["rehearsal"]}
    emit(summary, json_, lambda d: out.print(escape(f"review pack of {d['generated_at']}: {d['pdf']} "
                                                    f"({d['sources']} sources, audit head {d['audit_head'][:16]}…)")))


@app.command("diff")
def diff(before: Path = typer.Argument(..., metavar="OLD", help="An earlier pack's folder or review.json."),
         after: Path = typer.Argument(..., metavar="NEW", help="A later pack's folder or review.json."),
         json_: bool = typer.Option(False, "--json")) -> None:
    """What changed between two packs of different dates: every figure, and the audit log's growth."""
    result = review.diff_packs(review_files.read_pack(before), review_files.read_pack(after))

    def render(d: dict[str, Any]) -> None:
        a = d["audit"]
        out.print(escape(f"from {d['from']} to {d['to']}: {d['changed']} change(s); audit log {a['entries_before']} "
                         f"-> {a['entries_after']} entries"))
        table("changes", ["where", "then", "now"],
              [(c["path"], c["before"], c["after"]) for c in d["changes"][:200]])

    emit(result, json_, render)
