"""`biplomacy supervise aml case-transfers ID` and `aml str-export ID`: a case's transfers as a table, and its
suspicious transaction report as CSV (columns in docs/aml.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, out, table


def register(aml: typer.Typer) -> None:
    @aml.command("case-transfers")
    def case_transfers(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID"),
                       json_: bool = typer.Option(False, "--json")) -> None:
        """A case's transfers in time order: time, accounts, amount, asset, VASP (read from its scan's file)."""
        from biplomacy.aml.case_review import case_transfers as transfers

        c = context.get(ctx)
        d = transfers(c.store(), c.actor(), ident)

        def render(d: dict[str, object]) -> None:
            rows = d["transfers"]
            assert isinstance(rows, list)
            table(f"Case {ident}: {len(rows)} transfers", ["time (UTC)", "transfer", "from", "to", "amount", "asset",
                                                           "VASP"],
                  [(t["timestamp"][:19].replace("T", " "), t["tx_id"], t["from_account"], t["to_account"],
                    f"{t['amount']:,.2f}", t["asset"], t["vasp"]) for t in rows])
            if d["missing"]:
                out.print(f"not in a readable scan file (id only): {', '.join(map(str, d['missing']))}")  # type: ignore[call-overload]

        emit(d, json_, render)

    @aml.command("str-export")
    def str_export(ctx: typer.Context, ident: int = typer.Argument(..., metavar="ID"),
                   out_file: Path = typer.Option(None, "--out", help="Write the report here (default: stdout)."),
                   format_: str = typer.Option("csv", "--format", help="csv (one row per transfer) or goaml (goAML "
                                               "XML, the format FIUs take STRs in)."),
                   rentity_id: int = typer.Option(None, "--rentity-id", min=1, max=2**31 - 1,
                                                  help="goaml: the reporting entity's number at the FIU (default: "
                                                       "the goaml_rentity_id setting)."),
                   reporting_user: str = typer.Option(None, "--reporting-user", help="goaml: the filer's goAML user "
                                                      "code, 4-50 characters (default: who escalated the case).")
                   ) -> None:
        """An escalated case's suspicious transaction report: CSV, one row per transfer, or goAML XML (docs/aml.md)."""
        from biplomacy.aml.case_review import str_csv
        from biplomacy.aml.str_goaml import str_goaml
        from biplomacy.core.errors import InputError

        c = context.get(ctx)
        if format_ not in ("csv", "goaml"):
            raise InputError(f"{format_!r} is not csv or goaml", field="format")
        if format_ == "csv":
            text = str_csv(c.store(), c.actor(), ident)
        else:
            text = str_goaml(c.store(), c.actor(), ident, rentity_id=rentity_id or c.settings.goaml_rentity_id,
                             reporting_user=reporting_user).decode("utf-8")
        if out_file is None:
            out.print(text, end="" if text.endswith("\n") else "\n", markup=False, highlight=False, soft_wrap=True)
            return
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{out_file}: cannot be written ({exc.strerror})", field="out") from None
        out.print(f"STR of case {ident} written to {out_file}")
