"""Commands of `biplomacy reserve` (part: proofs): BIP-322 signed messages and reserve statements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out
from biplomacy.core.errors import InputError
from biplomacy.core.files import read_json
from biplomacy.reserve import messages
from biplomacy.reserve.results import SignatureReceipt, StatementBuilt, StatementStatus

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _render(d: dict[str, Any]) -> None:
    colour = {"valid": "green", "invalid": "red"}.get(d["result"], "yellow")
    out.print(f"[{colour}]{d['result']}[/{colour}] ({d['format']})" + (f": {d['reason']}" if d["reason"] else "")
              + (f": {d['valid_at']['text']}" if d.get("valid_at") else ""))


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
        if (message is None) == (message_file is None):
            raise InputError("give exactly one of --message or --message-file", field="--message")
        if message_file is not None:
            if not message_file.is_file():
                raise InputError(f"--message-file: {message_file} does not exist", field="--message-file")
            body: str | bytes = message_file.read_bytes()
        else:
            body = message
        emit(messages.verify_message(address, body, signature).as_dict(), json_, _render)

    @app.command("sign-message")
    def sign_message(
        address: str = typer.Option(..., "--address", help="A P2WPKH or P2TR address of the key."),
        message: str = typer.Option(..., "--message", help="The message to sign."),
        wif: str = typer.Option(..., "--wif", envvar="BIPLOMACY_SIGN_WIF", help="The private key (WIF); or set "
                                "BIPLOMACY_SIGN_WIF. Rehearsal and tests only."),
        variant: str = typer.Option("simple", "--variant", help="simple or full."),
        json_: bool = JSON,
    ) -> None:
        """Sign a message with one test key (BIP-322). Never use this with reserve keys: they sign offline."""
        err.print("[yellow]warning[/yellow]: single-key signing is for rehearsal and tests; never type a real "
                  "reserve key into this machine")
        signature = messages.sign_test_message(wif, message, address, variant)
        emit({"address": address, "variant": variant, "signature": signature}, json_,
             lambda d: out.print(d["signature"]))

    @app.command("verify-statement")
    def verify_statement(
        file: Path = typer.Argument(..., help="The reserve statement JSON (as downloaded)."),
        chain_data: Path = typer.Option(None, "--chain-data", help="UTXO set at the snapshot: JSON list of "
                                        "{txid, vout, sats, script_pubkey, height}, or {height, block_hash, utxos}."),
        json_: bool = JSON,
    ) -> None:
        """Verify a reserve statement offline: signatures, coins in the descriptor, totals, and chain data."""
        from biplomacy.reserve.model.statement import verify_statement as check

        statement = read_json(file, "statement")
        chain = None if chain_data is None else read_json(chain_data, "chain_data")
        if not isinstance(statement, dict):
            statement = {}  # judged like any statement lacking its fields: invalid, with the reason
        emit(check(statement, chain).as_dict(), json_, _render_check)

    _statement_commands(app)


def _render_check(d: dict[str, Any]) -> None:
    if d["valid"]:
        chain = "" if d["chain_checked"] else " (chain data not given: coins not checked against the chain)"
        out.print(f"[green]valid[/green]: {d['total_btc']} BTC in {d['utxos']} coins at height {d['height']}, "
                  f"signed by {', '.join(d['signers'])}{chain}")
    else:
        out.print(f"[red]invalid[/red]: {d['reason']}")


def _render_status(r: StatementStatus | SignatureReceipt) -> None:
    if isinstance(r, SignatureReceipt):
        out.print("[green]accepted[/green]" if r.accepted else f"[red]refused[/red]: {r.reason}")
        assert isinstance(r.target, StatementStatus)
        r = r.target
    out.print(f"{r.id} ({r.wallet}): {r.total_btc:f} BTC in {r.utxos} coins at height {r.height}; "
              f"{len(r.valid_signers)} of {r.threshold} signatures; {r.state}")
    if isinstance(r, StatementBuilt):
        out.print(r.psbt)


def _statement_commands(app: typer.Typer) -> None:
    statement = typer.Typer(help="Reserve statements: a BIP-322 proof of funds signed by the wallet's quorum.",
                            no_args_is_help=True)
    app.add_typer(statement, name="statement")

    @statement.command("build")
    def build(ctx: typer.Context, name: str = typer.Argument(..., help="The wallet, e.g. treasury."),
              message: str = typer.Option(..., "--message", help="The statement's text, signed with the snapshot."),
              json_: bool = JSON) -> None:
        """Build a statement over the wallet's confirmed coins at the rehearsal tip; prints the PSBT to sign."""
        from biplomacy.reserve import statements as reserve_statement

        c = context.get(ctx)
        emit(reserve_statement.build(c.store(), c.actor(), name, message), json_, _render_status)

    @statement.command("submit")
    def submit(ctx: typer.Context, statement_id: str = typer.Argument(..., metavar="ID"),
               psbt: Path = typer.Option(..., "--psbt", help="The signed PSBT (binary or base64)."),
               json_: bool = JSON) -> None:
        """Add a signer's PSBT; refused with the reason (and nothing changed) unless it signs this statement."""
        from biplomacy.reserve import statements as reserve_statement

        if not psbt.is_file():
            raise InputError(f"--psbt {psbt}: no such file", field="psbt")
        c = context.get(ctx)
        emit(reserve_statement.submit(c.store(), c.actor(), statement_id, psbt.read_bytes()), json_,
                    _render_status)

    @statement.command("status")
    def status(ctx: typer.Context, statement_id: str = typer.Argument(..., metavar="ID"), json_: bool = JSON) -> None:
        """Signatures collected, threshold and state of a statement."""
        from biplomacy.reserve import statements as reserve_statement

        c = context.get(ctx)
        emit(reserve_statement.status(c.store(), c.actor(), statement_id), json_, _render_status)

    @statement.command("finalize")
    def finalize(ctx: typer.Context, statement_id: str = typer.Argument(..., metavar="ID"),
                 json_: bool = JSON) -> None:
        """At M signatures: build the pof signature, verify the whole statement and publish it."""
        from biplomacy.reserve import statements as reserve_statement

        c = context.get(ctx)
        emit(reserve_statement.finalize(c.store(), c.actor(), statement_id), json_, _render_status)

    @statement.command("show")
    def show(ctx: typer.Context, statement_id: str = typer.Argument(..., metavar="ID"),
             out_file: Path = typer.Option(None, "--out", help="Write the statement JSON here."),
             json_: bool = JSON) -> None:
        """The final statement JSON (what a reviewer downloads); stdout unless --out."""
        from biplomacy.reserve import statements as reserve_statement

        c = context.get(ctx)
        doc = reserve_statement.document(c.store(), statement_id)
        _write(doc, out_file, json_)

    @statement.command("draft")
    def draft_cmd(descriptor: str = typer.Option(..., "--descriptor", help="The wallet's public descriptor."),
                  network: str = typer.Option(..., "--network", help="bitcoin, testnet, signet or regtest."),
                  wallet: str = typer.Option(..., "--wallet", help="The wallet's name, as the statement states it."),
                  utxos: Path = typer.Option(..., "--utxos", help="JSON list of {txid, vout, sats, script_pubkey}."),
                  height: int = typer.Option(..., "--height", help="Snapshot height."),
                  block_hash: str = typer.Option(..., "--block-hash", help="Snapshot block hash (hex)."),
                  message: str = typer.Option(..., "--message", help="The statement's text."),
                  out_file: Path = typer.Option(..., "--out", help="Write the draft (with its PSBT) here."),
                  json_: bool = JSON) -> None:
        """Without the database: draft a statement for any descriptor from a UTXO file; signers sign its psbt."""
        from biplomacy.reserve.model.statement_offline import draft

        coins = read_json(utxos, "utxos")
        coins = coins.get("utxos") if isinstance(coins, dict) else coins
        if not isinstance(coins, list):
            raise InputError(f"--utxos {utxos}: a JSON list of coins is expected", field="--utxos")
        try:
            doc = draft(descriptor, network, wallet, coins, height, block_hash, message)
        except InputError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"cannot draft the statement: {exc}"[:300], field="--utxos") from None
        _write(doc, out_file, json_)

    @statement.command("assemble")
    def assemble_cmd(draft_file: Path = typer.Argument(..., metavar="DRAFT", help="The draft from `statement draft`."),
                     psbts: list[Path] = typer.Option(..., "--psbt", help="A signer's PSBT; repeat for each."),
                     out_file: Path = typer.Option(..., "--out", help="Write the final statement here."),
                     json_: bool = JSON) -> None:
        """Without the database: combine M signed PSBTs with the draft into the statement JSON, verified."""
        from biplomacy.reserve.model.spend_psbt import read_psbt
        from biplomacy.reserve.model.statement_offline import assemble

        doc = read_json(draft_file, "draft")
        if not isinstance(doc, dict) or "psbt" not in doc:
            raise InputError(f"{draft_file}: not a statement draft (no psbt)", field="DRAFT")
        signed = []
        for f in psbts:
            if not f.is_file():
                raise InputError(f"--psbt {f}: no such file", field="--psbt")
            signed.append(read_psbt(f.read_bytes()))
        try:
            final = assemble(doc, signed)
        except InputError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"cannot assemble the statement: {exc}"[:300], field="--psbt") from None
        _write(final, out_file, json_)

    @statement.command("chain-data")
    def chain_data(ctx: typer.Context,
                   height: int = typer.Option(None, "--height", help="Snapshot height (default: the latest "
                                              "final statement's)."),
                   out_file: Path = typer.Option(None, "--out", help="Write the UTXO set here."),
                   json_: bool = JSON) -> None:
        """Export the rehearsal chain's UTXO set at the snapshot, for checking a statement offline."""
        from biplomacy.reserve import statements as reserve_statement

        c = context.get(ctx)
        _write(reserve_statement.chain_data(c.store(), height), out_file, json_)


def _write(doc: dict[str, Any], out_file: Path | None, json_: bool) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if out_file is None:
        emit(doc, True)
        return
    try:
        out_file.write_text(text)
    except OSError as exc:
        raise InputError(f"--out {out_file}: {exc.strerror}", field="--out") from None
    summary = {"path": str(out_file), "bytes": len(text.encode())}
    emit(summary, json_, lambda d: out.print(f"wrote {d['path']} ({d['bytes']} bytes)"))
