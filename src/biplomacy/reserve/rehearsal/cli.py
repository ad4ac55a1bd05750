"""`biplomacy reserve chain`: the rehearsal chain: fund addresses, mine blocks, rehearse reorgs, serve Electrum."""

from __future__ import annotations

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, err, out
from biplomacy.core.errors import InputError
from biplomacy.reserve.rehearsal import chain as chain_service
from biplomacy.reserve.rehearsal.electrum_server import ElectrumServer, RehearsalElectrum

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def register(app: typer.Typer) -> None:
    """`reserve chain`: fund, mine, reorg, tip, and the Electrum server."""
    chain = typer.Typer(help="The rehearsal chain: fund addresses, mine blocks, rehearse reorgs.",
                        no_args_is_help=True)
    app.add_typer(chain, name="chain")

    @chain.command("fund")
    def fund(ctx: typer.Context, address: str = typer.Argument(...),
             amount: str = typer.Argument(..., help="BTC as a decimal, e.g. 0.5"),
             source: str = typer.Option("seizure", "--source", help="seizure|purchase|mining|transfer|donation"),
             as_json: bool = JSON) -> None:
        """Pay AMOUNT BTC to ADDRESS from the rehearsal faucet (in the mempool until mined)."""
        c = context.get(ctx)
        r = chain_service.fund(c.store(), c.actor(), c.settings.network, address, amount, source)
        emit(r, as_json, lambda r: out.print(f"funded {r.address} with {r.amount_btc} BTC: {r.txid}"))

    @chain.command("mine")
    def mine(ctx: typer.Context, blocks: int = typer.Argument(1), as_json: bool = JSON) -> None:
        """Mine N blocks on the rehearsal chain."""
        c = context.get(ctx)
        r = chain_service.mine(c.store(), c.actor(), blocks)
        emit(r, as_json, lambda r: out.print(f"tip {r.height} {r.hash} ({r.confirmed_txs} tx confirmed)"))

    @chain.command("reorg")
    def reorg(ctx: typer.Context, depth: int = typer.Argument(...),
              to_mempool: bool = typer.Option(False, "--to-mempool", help="Return the transactions to the "
                                              "mempool instead of dropping them."),
              as_json: bool = JSON) -> None:
        """Drop the last DEPTH blocks; their transactions vanish (or go back to the mempool)."""
        c = context.get(ctx)
        r = chain_service.reorg(c.store(), c.actor(), depth, drop=not to_mempool)
        emit(r, as_json, lambda r: out.print(f"tip now {r.height}; vanished: {len(r.vanished)} tx"))

    @chain.command("tip")
    def tip(ctx: typer.Context, as_json: bool = JSON) -> None:
        """Height and hash of the rehearsal chain's tip."""
        emit(chain_service.tip(context.get(ctx).store()), as_json, lambda r: out.print(f"{r.height} {r.hash}"))

    @chain.command("electrum")
    def electrum(ctx: typer.Context, port: int = typer.Option(50001, "--port", help="TCP port (0: any free one)."),
                 host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on.")) -> None:
        """Serve the rehearsal chain over the Electrum protocol (tcp://HOST:PORT) until interrupted."""
        c = context.get(ctx)
        if not 0 <= port < 65536:
            raise InputError(f"--port {port} is out of range 0-65535", field="port")
        server = ElectrumServer(RehearsalElectrum(c.store(), c.settings.network), host, port)
        err.print(f"rehearsal chain: Electrum protocol on {server.url} (Ctrl-C stops)")
        try:
            server.serve_forever()
        finally:
            server.server_close()
