"""Root of the `biplomacy` CLI: global options, sub-apps, and the mapping of errors to exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import typer

from biplomacy.aml import cli as aml_cli
from biplomacy.cli import context, serve
from biplomacy.core.config import load_settings
from biplomacy.core.errors import BiplomacyError
from biplomacy.energy import cli as energy_cli
from biplomacy.house import cli as house_cli
from biplomacy.house import cli_review as review_cli
from biplomacy.peers import cli as peers_cli
from biplomacy.reserve import cli as reserve_cli
from biplomacy.supervision import cli as supervision_cli

app = typer.Typer(
    name="biplomacy",
    help="Biplomacy: energy planning, a strategic Bitcoin reserve and VASP supervision for a national program.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    acting_as: str = typer.Option(None, "--as", help="Act as this user (default: the local admin)."),
    config: Path = typer.Option(None, "--config", help="A biplomacy.toml to read settings from."),
    database_url: str = typer.Option(None, "--database-url", envvar="BIPLOMACY_DATABASE_URL",
                                     help="Database URL (default: SQLite under ./var/)."),
) -> None:
    """Biplomacy. Every command takes --json; exit 0 ok, 2 bad input, 1 other failure."""
    env = dict(os.environ)
    if database_url:
        env["BIPLOMACY_DATABASE_URL"] = database_url
    ctx.obj = context.CliContext(settings=load_settings(env, config), acting_as=acting_as)
    ctx.call_on_close(ctx.obj.close)


supervise = typer.Typer(help="licensing, register, returns, solvency, AML, travel rule.", no_args_is_help=True)
supervision_cli.register(supervise)
aml_cli.register(supervise)

app.add_typer(energy_cli.app, name="energy", help="Mining zones on surplus power, economics, tariffs and risk.")
app.add_typer(reserve_cli.app, name="reserve", help="The strategic reserve: multisig wallets, spends, ledger, proofs.")
app.add_typer(supervise, name="supervise", help="Licensing, register, returns, solvency, AML, travel rule.")
app.add_typer(peers_cli.app, name="peers", help="Country programs side by side, exchange bundles, what-ifs.")
app.add_typer(review_cli.app, name="review", help="The IMF review pack (HTML and PDF) and its diff.")


house_cli.register(app)
serve.register(app)


def _click_kinds(name: str) -> tuple[type[BaseException], ...]:
    """The same exception from click and from Typer's own vendored copy of it (typer._click)."""
    kinds: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        from typer._click import exceptions as vendored

        if hasattr(vendored, name):
            kinds.append(getattr(vendored, name))
    except ImportError:  # an older Typer uses click itself
        pass
    return tuple(kinds)


_NO_ARGS = _click_kinds("NoArgsIsHelpError")
_USAGE = _click_kinds("UsageError")
_CLICK_EXIT = tuple(k for k in (getattr(click.exceptions, "Exit", None), getattr(typer, "Exit", None)) if k)
_ABORT = _click_kinds("Abort") if hasattr(click.exceptions, "Abort") else ()


def _flags(argv: list[str]) -> set[str]:
    """The long options of the command that `argv` invokes (e.g. `energy risk` -> {"--plan", "--seed", ...})."""
    command: Any = typer.main.get_command(app)  # click or typer._click, by the installed Typer
    found: set[str] = set()
    args = iter(argv)
    for token in args:
        found.update(o for p in command.params for o in getattr(p, "opts", ()) if o.startswith("--"))
        if token.startswith("-"):
            param = next((p for p in command.params if token.split("=")[0] in getattr(p, "opts", ())), None)
            if param is not None and not getattr(param, "is_flag", False) and "=" not in token:
                next(args, None)  # the option's value
            continue
        sub = getattr(command, "commands", {}).get(token)
        if sub is None:
            break
        command, found = sub, set()
    found.update(o for p in command.params for o in getattr(p, "opts", ()) if o.startswith("--"))
    return found


def phrase(exc: BiplomacyError, argv: list[str] | None = None) -> str:
    """The error in the CLI's words: a use case names a field ("plan"); the command that ran names its flag
    ("--plan: ..."). A field that is no flag of that command (a column, a JSON path) is left as the message says."""
    message = str(exc)
    field = getattr(exc, "field", None)
    if not field or message.startswith(("-", f"{field}:")):
        return message
    flag = "--" + field.replace("_", "-")
    return f"{flag}: {message}" if flag in _flags(sys.argv[1:] if argv is None else argv) else message


def run(argv: list[str] | None = None) -> None:
    """Console entry point: never a traceback for a user's mistake."""
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc != 0:  # click hands back typer.Exit(code) as a return value here
            sys.exit(rc)
    except _NO_ARGS as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(0)
    except _USAGE as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(2)
    except _CLICK_EXIT as exc:
        sys.exit(getattr(exc, "exit_code", 1))
    except _ABORT:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except BiplomacyError as exc:
        print(f"error: {phrase(exc, argv)}", file=sys.stderr)
        for issue in getattr(exc, "issues", ())[:50]:
            print(f"  - {issue}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    run()
