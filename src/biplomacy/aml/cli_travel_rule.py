"""`biplomacy supervise travel-rule`: validate an IVMS101 payload, and the VASP-to-VASP exchange (TRP-like, by LEI).

Run them `--as` a vasp user to send, read the own inbox and decide; `--as` a supervisor (or as the local
admin) to discover VASPs and read every exchange. Who may do what is checked by the service (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from biplomacy.aml.results import Inbox, MessageList, TravelRuleCheck, TravelRuleMessage, VaspFound
from biplomacy.cli.output import emit, out, table


def _render_message(d: TravelRuleMessage) -> None:
    out.print(f"travel-rule message {d.id}: {d.originator_lei} ({d.originator_vasp}) -> "
              f"{d.beneficiary_lei} ({d.beneficiary_vasp}), [bold]{d.state}[/bold]"
              + (f" ({d.reason})" if d.reason else ""))
    for step in d.history:
        out.print(f"  {step.at.isoformat()}  {step.status} by {step.by}" + (f": {step.reason}" if step.reason else ""))


def _render_list(title: str, rows: Sequence[TravelRuleMessage]) -> None:
    table(title, ["id", "from", "to", "amount", "USD", "above", "state", "sent"],
          [(m.id, m.originator_lei, m.beneficiary_lei, f"{m.amount or ''} {m.unit or ''}",
            "" if m.amount_usd is None else format(m.amount_usd, "f"), m.above_threshold, m.state,
            m.sent_at.isoformat()) for m in rows])


def register_exchange(travel: typer.Typer) -> None:
    """discover, send, inbox, list, show, approve, reject."""

    @travel.command("discover")
    def discover(ctx: typer.Context, lei: str, json_: bool = typer.Option(False, "--json")) -> None:
        """Look a VASP up by LEI: is it licensed now, with an activity that allows transfers?"""
        from biplomacy.aml.travel_rule_exchange import discover as run
        from biplomacy.cli import context

        def render(d: VaspFound) -> None:
            out.print(f"{d.lei}: {d.legal_name} ({d.reference}), {d.state}, {', '.join(d.activities)}: accepts transfers")

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), lei), json_, render)

    @travel.command("send")
    def send(ctx: typer.Context, file: Path,
             to: str = typer.Option(..., "--to", help="Beneficiary VASP's LEI (it must be licensed in the register)."),
             from_: str = typer.Option(None, "--from", help="Your own VASP's LEI (default: the one you are bound to)."),
             json_: bool = typer.Option(False, "--json")) -> None:
        """Send a transfer inquiry (IVMS101 payload, optionally with transfer data) as your own VASP."""
        from biplomacy.aml import travel_rule_exchange as ex
        from biplomacy.cli import context
        from biplomacy.core.files import read_json

        c = context.get(ctx)
        doc = read_json(file, "path")
        store, actor = c.store(), c.actor()
        emit(ex.show(store, actor, ex.send(store, actor, to, doc, from_)), json_, _render_message)

    @travel.command("inbox")
    def inbox(ctx: typer.Context, lei: str = typer.Argument(None, help="A VASP's LEI (default: your own VASP)."),
              json_: bool = typer.Option(False, "--json")) -> None:
        """The pending transfer inquiries addressed to a VASP, oldest first."""
        from biplomacy.aml.travel_rule_exchange import inbox as run
        from biplomacy.cli import context

        def render(d: Inbox) -> None:
            _render_list(f"Travel-rule inbox of {d.lei} ({d.vasp})", d.pending)

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), lei), json_, render)

    @travel.command("list")
    def list_(ctx: typer.Context, lei: str = typer.Option(None, "--lei", help="Only this VASP's messages."),
              state: str = typer.Option(None, "--state", help="pending, approved or rejected"),
              json_: bool = typer.Option(False, "--json")) -> None:
        """Messages sent or received, newest first: all of them for supervisors, your own for a VASP."""
        from biplomacy.aml.travel_rule_exchange import messages as run
        from biplomacy.cli import context

        def render(d: MessageList) -> None:
            _render_list("Travel-rule messages", d.messages)

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), lei, state), json_, render)

    @travel.command("show")
    def show(ctx: typer.Context, message_id: int = typer.Argument(..., metavar="ID", min=1),
             json_: bool = typer.Option(False, "--json")) -> None:
        """One message with its payload and status history."""
        from biplomacy.aml.travel_rule_exchange import show as run
        from biplomacy.cli import context

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), message_id), json_, _render_message)

    @travel.command("approve")
    def approve(ctx: typer.Context, message_id: int = typer.Argument(..., metavar="ID", min=1),
                reason: str = typer.Option(..., "--reason"), json_: bool = typer.Option(False, "--json")) -> None:
        """Approve a pending inquiry addressed to your VASP (it accepts the data)."""
        from biplomacy.aml.travel_rule_exchange import approve as run
        from biplomacy.cli import context

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), message_id, reason), json_, _render_message)

    @travel.command("reject")
    def reject(ctx: typer.Context, message_id: int = typer.Argument(..., metavar="ID", min=1),
               reason: str = typer.Option(..., "--reason"), json_: bool = typer.Option(False, "--json")) -> None:
        """Reject a pending inquiry addressed to your VASP (it refuses it)."""
        from biplomacy.aml.travel_rule_exchange import reject as run
        from biplomacy.cli import context

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), message_id, reason), json_, _render_message)


def register_retention(travel: typer.Typer) -> None:
    @travel.command("erase-expired")
    def erase_expired(ctx: typer.Context,
                      keep_years: int = typer.Option(None, "--keep-years", min=1, max=100,
                                                     help="Keep personal data this long (default and minimum: FATF R.11's 5)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
        """Erase the IVMS101 personal data of messages past their retention (the messages and hashes stay)."""
        from biplomacy.aml.travel_rule_retention import erase_expired as run
        from biplomacy.cli import context

        c = context.get(ctx)
        emit(run(c.store(), c.actor(), keep_years=keep_years).to_json(), json_,
             lambda d: out.print(f"erased the personal data of {d['count']} message(s) older than {d['keep_years']} years"))


def _render_travel(d: TravelRuleCheck) -> None:
    if d.valid:
        out.print("[green]valid[/green] IVMS101 payload")
    else:
        table("Travel rule: problems", ["field", "problem"], [(p.path, p.message) for p in d.problems])
    if d.above_threshold is not None:
        usd = "" if d.amount_usd is None else format(d.amount_usd, "f")
        out.print(f"amount {usd} USD; at or above the USD/EUR {format(d.threshold_usd, 'f')} threshold: "
                  f"{d.above_threshold}")
    for f in d.flags:
        out.print(f"[yellow]flag[/yellow]: {f}")


def register(app: typer.Typer) -> None:
    """`supervise travel-rule`: validate a payload, and the VASP-to-VASP exchange."""
    travel = typer.Typer(help="The travel rule (FATF R.16, IVMS101).", no_args_is_help=True)
    app.add_typer(travel, name="travel-rule")

    @travel.command("validate")
    def validate(file: Path, json_: bool = typer.Option(False, "--json")) -> None:
        """Validate an IVMS101 payload (bare or in an envelope with transfer data), field by field."""
        from biplomacy.aml.travel_rule import validate_file

        emit(validate_file(file), json_, _render_travel)

    register_exchange(travel)
    register_retention(travel)
