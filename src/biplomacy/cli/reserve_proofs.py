"""Commands of `biplomacy reserve`: BIP-322 signed messages (verify-message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli.output import emit, out
from biplomacy.errors import InputError


def _render(d: dict[str, Any]) -> None:
    colour = {"valid": "green", "invalid": "red"}.get(d["result"], "yellow")
    out.print(f"[{colour}]{d['result']}[/{colour}] ({d['format']})" + (f": {d['reason']}" if d["reason"] else ""))


def register(app: typer.Typer) -> None:
    @app.command("verify-message")
    def verify_message(
        address: str = typer.Option(..., "--address", help="The address that signed."),
        message: str = typer.Option(None, "--message", help="The message, as signed."),
        message_file: Path = typer.Option(None, "--message-file", help="Read the message from a file (exact bytes)."),
        signature: str = typer.Option(..., "--signature", help="Base64, optionally prefixed smp/ful/pof; or legacy."),
        json_: bool = typer.Option(False, "--json"),
    ) -> None:
        """Verify a BIP-322 (or legacy P2PKH) signed message; the network comes from the address."""
        from biplomacy.reserve.bip322 import verify

        if (message is None) == (message_file is None):
            raise InputError("give exactly one of --message or --message-file", field="--message")
        if message_file is not None:
            if not message_file.is_file():
                raise InputError(f"--message-file: {message_file} does not exist", field="--message-file")
            body: str | bytes = message_file.read_bytes()
        else:
            body = message
        emit(verify(address, body, signature).as_dict(), json_, _render)
