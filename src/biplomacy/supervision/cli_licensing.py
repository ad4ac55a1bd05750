"""Commands of `biplomacy supervise` (part: licensing): solvency proofs, licences, the register, returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, err, out, table


def _solvency(app: typer.Typer) -> None:
    solvency = typer.Typer(help="Exchange proofs of solvency: Merkle-sum snapshots, user proofs, reserves.",
                           no_args_is_help=True)
    app.add_typer(solvency, name="solvency")

    @solvency.command("build")
    def build(
        liabilities: Path = typer.Option(..., "--liabilities", help="CSV: user_id,asset,balance[,unit]."),
        out_dir: Path = typer.Option(..., "--out", help="Folder for root.json and proofs/."),
        height: int = typer.Option(None, "--snapshot-height", help="Block height of the snapshot."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Build a Merkle-sum snapshot of the liabilities; write the root and one proof per user."""
        from biplomacy.supervision.solvency import build_solvency

        def progress(done: int, total: int) -> None:
            err.print(f"proofs written: {done:,} of {total:,}")

        result = build_solvency(liabilities, out_dir, height=height, progress=progress)

        def render(r: dict[str, Any]) -> None:
            out.print(f"root {r['root']} ({r['users']:,} users, depth {r['depth']})")
            table("Totals", ["asset", "total", "unit"], [(a, f"{v:,}", r["units"][a]) for a, v in r["totals"].items()])
            out.print(f"published: {r['root_file']}; proofs: {r['proofs_dir']}")

        emit(result, as_json, render)

    @solvency.command("verify")
    def verify(
        proof: Path = typer.Option(..., "--proof", help="A user's proof JSON."),
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Check a proof offline: recompute the path, check every sum, compare with the published root."""
        from biplomacy.supervision.solvency import verify_solvency_proof

        result = verify_solvency_proof(proof, root)
        emit(result, as_json, lambda r: out.print(
            f"VALID: {r['user_id']} holds {r['balances']} in root {r['root'][:16]}..." if r["valid"]
            else f"INVALID: {r['reason']}"))

    @solvency.command("reserves")
    def reserves(
        ctx: typer.Context,
        root: Path = typer.Option(..., "--root", help="The published root.json."),
        reserves_file: Path = typer.Option(..., "--reserves", help="CSV or JSON: asset,address,balance[,message,"
                                                                 "signature]."),
        licence: str = typer.Option(None, "--licence", help="Record the result against this licence (register)."),
        from_chain: bool = typer.Option(False, "--from-chain", help="Read BTC balances from the chain (Esplora "
                                        "at BIPLOMACY_ESPLORA_URL, else the rehearsal chain) at the snapshot height."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Compare liabilities per asset with on-chain reserves and report the solvency ratio."""
        from biplomacy.supervision.solvency import solvency_against_reserves

        chain = None
        if from_chain:
            from biplomacy.cli import context
            from biplomacy.reserve.rehearsal.source import chain_for

            c = context.get(ctx)
            chain = chain_for(c.store(), c.settings)
        result = solvency_against_reserves(root, reserves_file, chain)
        if licence:
            from biplomacy.cli import context
            from biplomacy.supervision.returns import record_solvency

            c = context.get(ctx)
            result = record_solvency(c.store(), _actor(c), licence, result)

        def render(r: dict[str, Any]) -> None:
            table("Solvency", ["asset", "liabilities", "reserves", "proven", "ratio", "covered"],
                  [(a, f"{v['liabilities']:,}", f"{v['reserves']:,}", f"{v['proven_reserves']:,}", v["ratio"],
                    v["covered"]) for a, v in r["assets"].items()])
            out.print("SOLVENT" if r["solvent"] else "NOT SOLVENT: some asset is not covered")

        emit(result, as_json, render)


def _actor(c: Any) -> Any:
    """The acting user (local admin unless --as USER)."""
    return c.actor()


def _read_json_file(path: Path, what: str) -> Any:
    import json

    from biplomacy.core.errors import InputError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist", field=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path} cannot be read: {exc}", field=what) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} {path} is not JSON ({exc.msg}, line {exc.lineno})", field=what) from None


def _render_licence(r: dict[str, Any]) -> None:
    out.print(f"{r['reference']}  {r['legal_name']}  [{r['state']}]" + ("  (fictional)" if r["fictional"] else ""))
    out.print(f"activities: {', '.join(r['activities'])}; LEI {r['lei'] or '-'}; since {r['state_since']}")
    if r["conditions"]:
        out.print("conditions: " + "; ".join(r["conditions"]))
    if r["overdue_since"]:
        out.print(f"OVERDUE since {r['overdue_since']}")
    table("History", ["at", "actor", "from", "to", "reason"],
          [(h["at"], h["actor"], h["from"], h["to"], h["reason"]) for h in r["history"]])


def _licence(app: typer.Typer) -> None:
    from biplomacy.cli import context

    licence = typer.Typer(help="Licence applications and the licence state machine.", no_args_is_help=True)
    app.add_typer(licence, name="licence")

    @licence.command("apply")
    def apply(ctx: typer.Context, file: Path = typer.Argument(..., help="The application, JSON."),
              draft: bool = typer.Option(False, "--draft", help="Keep it as a draft (no checklist check)."),
              as_json: bool = typer.Option(False, "--json")) -> None:
        """File a licence application (entity, directors, owners, activities, documents)."""
        from biplomacy.supervision.licensing import apply_for_licence

        c = context.get(ctx)
        doc = _read_json_file(file, "application")
        emit(apply_for_licence(c.store(), _actor(c), doc, submit=not draft), as_json, _render_licence)

    @licence.command("transition")
    def transition(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
                   to: str = typer.Option(..., "--to", help="The new state, e.g. under_review, approved."),
                   reason: str = typer.Option(..., "--reason"),
                   condition: list[str] = typer.Option(None, "--condition", help="A licence condition (repeat)."),
                   as_json: bool = typer.Option(False, "--json")) -> None:
        """Move a licence to another state; the move must be allowed and your role must allow it."""
        from biplomacy.supervision.licensing import transition_licence

        c = context.get(ctx)
        emit(transition_licence(c.store(), _actor(c), ident, to, reason, conditions=list(condition or [])),
             as_json, _render_licence)

    @licence.command("show")
    def show(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """A licence: entity, activities, checklist, conditions and its full history."""
        from biplomacy.supervision.licensing import show_licence

        c = context.get(ctx)
        emit(show_licence(c.store(), _actor(c), ident), as_json, _render_licence)

    @licence.command("list")
    def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Every application and licence with its state."""
        from biplomacy.supervision.licensing import list_licences

        c = context.get(ctx)
        rows = list_licences(c.store(), _actor(c))
        emit({"licences": rows}, as_json, lambda r: table(
            "Licences", ["reference", "legal name", "state", "activities"],
            [(x["reference"], x["legal_name"], x["state"], ", ".join(x["activities"])) for x in r["licences"]]))

    @licence.command("overdue")
    def overdue(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Applications past their service deadline (who is waiting on whom)."""
        from biplomacy.supervision.licensing import overdue_licences

        c = context.get(ctx)
        rows = overdue_licences(c.store(), _actor(c))
        emit({"overdue": rows}, as_json, lambda r: table(
            "Overdue", ["reference", "legal name", "state", "due on", "days over", "waiting on"],
            [(x["reference"], x["legal_name"], x["state"], x["due_on"], x["days_overdue"], x["waiting_on"])
             for x in r["overdue"]]))

    sandbox = typer.Typer(help="Regulatory sandbox cohorts: conditions and expiry.", no_args_is_help=True)
    app.add_typer(sandbox, name="sandbox")

    @sandbox.command("create")
    def sandbox_create(ctx: typer.Context, name: str = typer.Argument(...),
                       starts: str = typer.Option(..., "--starts", help="YYYY-MM-DD"),
                       expires: str = typer.Option(..., "--expires", help="YYYY-MM-DD"),
                       condition: list[str] = typer.Option(None, "--condition"),
                       as_json: bool = typer.Option(False, "--json")) -> None:
        """Open a sandbox cohort."""
        from biplomacy.supervision.licensing import create_cohort

        c = context.get(ctx)
        emit(create_cohort(c.store(), _actor(c), name, _date(starts, "starts"), _date(expires, "expires"),
                           list(condition or [])), as_json)

    @sandbox.command("admit")
    def sandbox_admit(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
                      cohort: str = typer.Option(..., "--cohort"), as_json: bool = typer.Option(False, "--json")) -> None:
        """Admit an applicant into a sandbox cohort."""
        from biplomacy.supervision.licensing import admit_to_cohort

        c = context.get(ctx)
        emit(admit_to_cohort(c.store(), _actor(c), ident, cohort), as_json, _render_licence)

    @sandbox.command("list")
    def sandbox_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Cohorts, their members, and whether they have expired."""
        from biplomacy.supervision.licensing import cohort_status

        c = context.get(ctx)
        rows = cohort_status(c.store(), _actor(c))
        emit({"cohorts": rows}, as_json, lambda r: table(
            "Sandbox cohorts", ["name", "starts", "expires", "expired", "members"],
            [(x["name"], x["starts_on"], x["expires_on"], x["expired"], ", ".join(x["members"])) for x in r["cohorts"]]))


def _register(app: typer.Typer) -> None:
    from biplomacy.cli import context

    reg = typer.Typer(help="The public register: licensed entities, history, warnings; CSV/JSON export.",
                      no_args_is_help=True)
    app.add_typer(reg, name="register")

    @reg.command("show")
    def show(ctx: typer.Context, as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
             search: str = typer.Option("", "--search", help="Filter by name, LEI, reference or activity."),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """The register as it stood on a date, with the warnings list."""
        from biplomacy.supervision.register import parse_as_of, register_view

        c = context.get(ctx)
        view = register_view(c.store(), as_of=parse_as_of(as_of), query=search)

        def render(r: dict[str, Any]) -> None:
            table(f"Register of {r['authority']} as of {r['as_of']}",
                  ["reference", "legal name", "status", "authorised", "ended", "activities", "solvency"],
                  [(e["reference"], e["legal_name"] + (" (fictional)" if e["fictional"] else ""), e["status"],
                    e["authorised_on"], e["ended_on"], ", ".join(e["activities"]), e["solvency_ratio"])
                   for e in r["entities"]])
            table("Warnings", ["published", "name", "kind", "details"],
                  [(w["published_on"], w["name"], w["kind"], w["details"]) for w in r["warnings"]])

        emit(view, as_json, render)

    @reg.command("export")
    def export(ctx: typer.Context, fmt: str = typer.Option("csv", "--format", help="csv or json."),
               out_file: Path = typer.Option(None, "--out", help="Write here instead of stdout."),
               as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today).")) -> None:
        """Export the register (CSV columns modelled on ESMA's interim MiCA CASP register)."""
        import json

        from biplomacy.core.errors import InputError
        from biplomacy.supervision.register import parse_as_of, register_csv, register_view

        if fmt not in {"csv", "json"}:
            raise InputError(f"--format {fmt!r}: expected csv or json", field="format")
        c = context.get(ctx)
        day = parse_as_of(as_of)
        text = register_csv(c.store(), as_of=day) if fmt == "csv" else \
            json.dumps(register_view(c.store(), as_of=day), indent=2, default=str) + "\n"
        if out_file is None:
            print(text, end="")
        else:
            try:
                out_file.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"--out {out_file}: {exc.strerror}", field="out") from None
            err.print(f"wrote {out_file}")

    @reg.command("load-demo")
    def load_demo(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Load the FICTIONAL demo register (six invented VASPs, warnings, 2025-Q3 returns); once only."""
        from biplomacy.supervision.demo import load_demo_register

        c = context.get(ctx)
        emit(load_demo_register(c.store()), as_json, lambda r: out.print(
            f"loaded {r['licences']} fictional licences, {r['warnings']} warnings, {r['returns']} returns"))

    @reg.command("warn")
    def warn(ctx: typer.Context, name: str = typer.Argument(...),
             kind: str = typer.Option("unlicensed", "--kind", help="unlicensed or non_compliant."),
             details: str = typer.Option(..., "--details"), website: str = typer.Option("", "--website"),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """Publish a warning about an unlicensed or non-compliant entity."""
        from biplomacy.supervision.register import publish_warning

        c = context.get(ctx)
        emit(publish_warning(c.store(), _actor(c), name, kind, details, website=website), as_json)


def _returns(app: typer.Typer) -> None:
    from biplomacy.cli import context

    ret = typer.Typer(help="Supervisory returns against the published JSON Schema; late and missing filings.",
                      no_args_is_help=True)
    app.add_typer(ret, name="returns")

    @ret.command("file")
    def file_(ctx: typer.Context, file: Path = typer.Argument(..., help="The return, JSON (schema v1)."),
              as_json: bool = typer.Option(False, "--json")) -> None:
        """File a quarterly return; every schema problem is listed with its field path."""
        from biplomacy.supervision.returns import file_return

        c = context.get(ctx)
        result = file_return(c.store(), _actor(c), _read_json_file(file, "return"))
        emit(result, as_json, lambda r: out.print(
            f"filed {r['licence']} {r['period']} (due {r['due_on']}{', LATE' if r['late'] else ''})"))

    @ret.command("validate")
    def validate(file: Path = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
        """Check a return against the schema without filing it (valid: false lists every problem)."""
        from biplomacy.supervision.model.returns import return_issues

        issues = return_issues(_read_json_file(file, "return"))
        emit({"valid": not issues, "problems": [i.as_dict() for i in issues]}, as_json,
             lambda r: out.print("valid") if r["valid"] else table(
                 "Problems", ["path", "message"], [(p["path"], p["message"]) for p in r["problems"]]))

    @ret.command("missing")
    def missing(ctx: typer.Context, period: str = typer.Option(..., "--period", help="e.g. 2025-Q3"),
                as_json: bool = typer.Option(False, "--json")) -> None:
        """Licensed VASPs that have not filed for a period, and those that filed late."""
        from biplomacy.supervision.returns import missing_returns

        c = context.get(ctx)
        result = missing_returns(c.store(), _actor(c), period)

        def render(r: dict[str, Any]) -> None:
            table(f"Missing returns for {r['period']} (due {r['due_on']})", ["licence", "legal name", "days overdue"],
                  [(m["licence"], m["legal_name"], m["days_overdue"]) for m in r["missing"]])
            table("Filed late", ["licence", "legal name", "days late"],
                  [(m["licence"], m["legal_name"], m["days_late"]) for m in r["late"]])

        emit(result, as_json, render)


def _date(text: str, field: str) -> Any:
    from datetime import date

    from biplomacy.core.errors import InputError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--{field} {text!r} is not a date (YYYY-MM-DD)", field=field) from None


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `supervise` sub-app."""
    _solvency(app)
    _licence(app)
    _register(app)
    _returns(app)
