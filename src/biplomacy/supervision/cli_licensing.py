"""`biplomacy supervise licence` and `sandbox`: licence applications, the licence state machine, sandbox cohorts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, out, table
from biplomacy.core.files import read_json
from biplomacy.supervision.results import CohortStatus, LicenceView, OverdueLicence


def _render_licence(r: LicenceView) -> None:
    out.print(f"{r.reference}  {r.identity.legal_name}  [{r.state.value}]" + ("  (fictional)" if r.fictional else ""))
    out.print(f"activities: {', '.join(a.value for a in r.activities)}; LEI {r.identity.lei or '-'}; "
              f"since {r.state_since.isoformat()}")
    if r.conditions:
        out.print("conditions: " + "; ".join(r.conditions))
    if r.overdue_since:
        out.print(f"OVERDUE since {r.overdue_since}")
    table("History", ["at", "actor", "from", "to", "reason"],
          [(h.at.isoformat(), h.actor, h.from_state, h.to_state, h.reason) for h in r.history])


def _date(text: str, field: str) -> Any:
    from datetime import date

    from biplomacy.core.errors import InputError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--{field} {text!r} is not a date (YYYY-MM-DD)", field=field) from None


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
        doc = read_json(file, "application")
        emit(apply_for_licence(c.store(), c.actor(), doc, submit=not draft), as_json, _render_licence)

    @licence.command("transition")
    def transition(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
                   to: str = typer.Option(..., "--to", help="The new state, e.g. under_review, approved."),
                   reason: str = typer.Option(..., "--reason"),
                   condition: list[str] = typer.Option(None, "--condition", help="A licence condition (repeat)."),
                   as_json: bool = typer.Option(False, "--json")) -> None:
        """Move a licence to another state; the move must be allowed and your role must allow it."""
        from biplomacy.supervision.licensing import transition_licence

        c = context.get(ctx)
        emit(transition_licence(c.store(), c.actor(), ident, to, reason, conditions=list(condition or [])),
             as_json, _render_licence)

    @licence.command("show")
    def show(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
             as_json: bool = typer.Option(False, "--json")) -> None:
        """A licence: entity, activities, checklist, conditions and its full history."""
        from biplomacy.supervision.licensing import show_licence

        c = context.get(ctx)
        emit(show_licence(c.store(), c.actor(), ident), as_json, _render_licence)

    @licence.command("list")
    def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Every application and licence with its state."""
        from biplomacy.supervision.licensing import list_licences

        c = context.get(ctx)
        emit({"licences": list_licences(c.store(), c.actor())}, as_json, lambda r: table(
            "Licences", ["reference", "legal name", "state", "activities"],
            [(x.reference, x.identity.legal_name, x.state.value, ", ".join(a.value for a in x.activities))
             for x in r["licences"]]))

    @licence.command("overdue")
    def overdue(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Applications past their service deadline (who is waiting on whom)."""
        from biplomacy.supervision.licensing import overdue_licences

        c = context.get(ctx)
        def render(r: dict[str, list[OverdueLicence]]) -> None:
            table("Overdue", ["reference", "legal name", "state", "due on", "days over", "waiting on"],
                  [(x.reference, x.legal_name, x.state.value, x.due_on, x.days_overdue, x.waiting_on)
                   for x in r["overdue"]])

        emit({"overdue": overdue_licences(c.store(), c.actor())}, as_json, render)

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
        emit(create_cohort(c.store(), c.actor(), name, _date(starts, "starts"), _date(expires, "expires"),
                           list(condition or [])), as_json)

    @sandbox.command("admit")
    def sandbox_admit(ctx: typer.Context, ident: str = typer.Argument(..., metavar="ID"),
                      cohort: str = typer.Option(..., "--cohort"), as_json: bool = typer.Option(False, "--json")) -> None:
        """Admit an applicant into a sandbox cohort."""
        from biplomacy.supervision.licensing import admit_to_cohort

        c = context.get(ctx)
        emit(admit_to_cohort(c.store(), c.actor(), ident, cohort), as_json, _render_licence)

    @sandbox.command("list")
    def sandbox_list(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """Cohorts, their members, and whether they have expired."""
        from biplomacy.supervision.licensing import cohort_status

        c = context.get(ctx)
        def render(r: dict[str, list[CohortStatus]]) -> None:
            table("Sandbox cohorts", ["name", "starts", "expires", "expired", "members"],
                  [(x.name, x.starts_on, x.expires_on, x.expired, ", ".join(x.members)) for x in r["cohorts"]])

        emit({"cohorts": cohort_status(c.store(), c.actor())}, as_json, render)


def register(app: typer.Typer) -> None:
    _licence(app)
