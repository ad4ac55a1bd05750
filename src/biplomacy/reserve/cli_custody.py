"""Commands of `biplomacy reserve` (part: custody): wallets, addresses, sync, spends, ledger and prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from biplomacy.cli import context
from biplomacy.cli.output import emit, out, table
from biplomacy.core.errors import InputError

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")
CHAIN_URL = typer.Option(None, "--chain-url", help="Esplora (http[s]://...) or Electrum (tcp://HOST:PORT, "
                         "ssl://HOST:PORT); default BIPLOMACY_CHAIN_URL, else the rehearsal chain.")


def _chain(c: context.CliContext, url: str | None = None) -> Any:
    from biplomacy.reserve.rehearsal.source import chain_for

    return chain_for(c.store(), c.settings, url)


def _wallets(app: typer.Typer) -> typer.Typer:
    wallet = typer.Typer(help="Watch-only multisig wallets and policies with recovery paths, from output "
                         "descriptors.", no_args_is_help=True)
    app.add_typer(wallet, name="wallet")

    @wallet.command("add")
    def add(ctx: typer.Context, name: str = typer.Argument(..., help="Wallet name, e.g. treasury."),
            descriptor: str = typer.Option(..., "--descriptor", help="wsh(sortedmulti(M,[fp/48h/..]xpub/<0;1>/*,..)), "
                                           "or a policy with recovery paths (`reserve wallet design`)."),
            policy: str = typer.Option("pakistan-draft", "--policy", help="Policy profile: pakistan-draft, "
                                       "imf-no-accumulation, us-eo-no-sale, bhutan."),
            public: bool = typer.Option(False, "--public-addresses", help="Show this wallet's addresses publicly."),
            on_chain: bool = typer.Option(False, "--on-chain", help="The policy's signature rules must hold on chain: "
                                          "refuse the wallet if its M cannot carry them (an amount tier above M)."),
            as_json: bool = JSON) -> None:
        """Import a watch-only M-of-N wallet or a policy with recovery paths; a descriptor with private keys is
        refused and never stored."""
        from biplomacy.reserve.wallets import add_wallet

        c = context.get(ctx)
        r = add_wallet(c.store(), c.actor(), c.settings.network, name, descriptor, policy, public, on_chain)
        emit(r, as_json, lambda r: out.print(f"wallet {r.name}: {r.threshold} of {len(r.signers)} "
                                                    f"({', '.join(r.signers)}), policy {r.policy}"
                                                    + "".join(f"\n  {p.words}" for p in r.paths[1:])))

    @wallet.command("list")
    def list_(ctx: typer.Context, as_json: bool = JSON) -> None:
        """List the reserve wallets."""
        from biplomacy.reserve.wallets import list_wallets

        rows = list_wallets(context.get(ctx).store())
        emit(rows, as_json, lambda rs: table("Reserve wallets", ["name", "M", "signers", "policy"],
                                                    [(r.name, r.threshold, " ".join(r.signers), r.policy)
                                                     for r in rs]))

    @wallet.command("export")
    def export(ctx: typer.Context, name: str = typer.Argument(...),
               fmt: str = typer.Option(..., "--format", help="electrum | sparrow | coldcard | bsms | descriptor"),
               out_file: Path = typer.Option(..., "--out", help="Where to write the setup file."),
               as_json: bool = JSON) -> None:
        """Write the wallet's setup file for signers' wallets: Electrum wallet file, Sparrow/Specter JSON,
        Coldcard multisig setup file, or BSMS (BIP-129) record."""
        from dataclasses import replace

        from biplomacy.reserve.wallet_setup import export_setup

        c = context.get(ctx)
        if not out_file.parent.exists():
            raise InputError(f"{out_file}: folder {out_file.parent} does not exist", field="out")
        record, content = export_setup(c.store(), c.actor(), name, fmt)
        out_file.write_text(content, encoding="utf-8")
        emit(replace(record, path=out_file), as_json, lambda r: out.print(
            f"{r.format} setup file of {r.wallet} written to {r.path}; first address {r.first_address}"))

    @wallet.command("import")
    def import_(ctx: typer.Context, name: str = typer.Argument(..., help="Wallet name, e.g. treasury."),
                file: Path = typer.Option(..., "--file", help="Electrum wallet file, Sparrow/Specter JSON, Coldcard "
                                          "setup file, BSMS record, or a descriptor."),
                policy: str = typer.Option("pakistan-draft", "--policy", help="Policy profile (as wallet add)."),
                public: bool = typer.Option(False, "--public-addresses", help="Show this wallet's addresses publicly."),
                on_chain: bool = typer.Option(False, "--on-chain", help="Refuse the wallet if its M cannot carry "
                                              "the policy's signature rules (as wallet add)."),
                as_json: bool = JSON) -> None:
        """Import a watch-only wallet from a setup file a signer's wallet exported (or ours)."""
        from biplomacy.reserve.wallet_setup import import_setup

        if not file.is_file():
            raise InputError(f"--file {file}: no such file", field="file")
        c = context.get(ctx)
        r = import_setup(c.store(), c.actor(), c.settings.network, name, file.read_bytes(), policy, public,
                         on_chain)
        emit(r, as_json, lambda r: out.print(f"wallet {r.wallet.name} imported from a {r.format} file: "
                                                    f"{r.wallet.threshold} of {len(r.wallet.signers)}; first "
                                                    f"address {r.first_address}"))

    @wallet.command("backup-sheet")
    def backup_sheet(ctx: typer.Context, name: str = typer.Argument(...),
                     signer: str = typer.Option(..., "--signer", help="The signer's master fingerprint (8 hex)."),
                     out_file: Path = typer.Option(..., "--out", help="Where to write: .html (printable) or .txt."),
                     as_json: bool = JSON) -> None:
        """Write one signer's descriptor backup sheet (printable HTML, or text)."""
        from biplomacy.reserve.backup import write_backup_sheet

        r = write_backup_sheet(context.get(ctx).store(), name, signer, out_file)
        emit(r, as_json, lambda r: out.print(f"backup sheet for {r.signer} written to {r.path}"))

    return wallet


def _spend(app: typer.Typer) -> typer.Typer:
    spend = typer.Typer(help="Spend approvals: propose, sign elsewhere, submit, broadcast at M.",
                        no_args_is_help=True)
    app.add_typer(spend, name="spend")

    @spend.command("propose")
    def propose(ctx: typer.Context, name: str = typer.Argument(...),
                to: str = typer.Option(..., "--to", help="Destination address."),
                amount: str = typer.Option(..., "--amount", help="BTC as a decimal, e.g. 0.25"),
                purpose: str = typer.Option(..., "--purpose", help="Why: shown to every signer and audited."),
                fee_rate: int = typer.Option(2, "--fee-rate", help="sat/vB"),
                approval: str = typer.Option("", "--approval", help="Board resolution reference (bhutan profile)."),
                path: str = typer.Option("primary", "--path", help="The spending path whose keys sign: primary, "
                                         "recovery, recovery-2... (a recovery path once its timelock has passed)."),
                chain_url: str = CHAIN_URL, as_json: bool = JSON) -> None:
        """Build the unsigned PSBT of a spend, after the wallet's policy profile accepts it."""
        from biplomacy.reserve.spend import propose as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), _chain(c, chain_url), name, to, amount, purpose, fee_rate, approval, path)
        emit(r, as_json, lambda r: out.print(f"proposal {r.id}: {r.amount_btc:f} BTC to {r.to}, fee "
                                                    f"{r.fee_sats} sat, needs {r.threshold} signatures\n{r.psbt}"))

    @spend.command("submit")
    def submit(ctx: typer.Context, proposal_id: str = typer.Argument(...),
               psbt: Path = typer.Option(..., "--psbt", help="The signed PSBT (binary or base64)."),
               as_json: bool = JSON) -> None:
        """Upload a signer's PSBT; refused with the reason (nothing changed) unless it adds a valid signer."""
        from biplomacy.reserve.spend import submit as run

        if not psbt.is_file():
            raise InputError(f"--psbt {psbt}: no such file", field="psbt")
        c = context.get(ctx)
        r = run(c.store(), c.actor(), proposal_id, psbt.read_bytes())
        emit(r, as_json, lambda r: out.print(
            (f"accepted: {', '.join(r.new_signers)}" if r.accepted else f"REFUSED: {r.reason}")
            + f" ({len(r.target.valid_signers)} of {r.target.threshold}, {r.target.state})"))

    @spend.command("list")
    def waiting(ctx: typer.Context, wallet: str = typer.Option(None, "--wallet", help="Only this wallet's."),
                as_json: bool = JSON) -> None:
        """The proposals waiting for signatures or for broadcast, oldest first (signers and the operator)."""
        from biplomacy.reserve.spend import waiting as run

        c = context.get(ctx)
        rows = run(c.store(), c.actor(), wallet)
        emit(rows, as_json, lambda rows: table(
            "Spend proposals waiting", ["id", "wallet", "amount (BTC)", "to", "purpose", "signatures", "state"],
            [(r.id, r.wallet, f"{r.amount_btc:f}", r.to, r.purpose, f"{len(r.valid_signers)} of {r.threshold}",
              r.state) for r in rows]))

    @spend.command("status")
    def status(ctx: typer.Context, proposal_id: str = typer.Argument(...), as_json: bool = JSON) -> None:
        """Signatures collected, threshold, and whether the spend can be broadcast."""
        from biplomacy.reserve.spend import status as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), proposal_id)
        emit(r, as_json, lambda r: out.print(f"{r.id}: {len(r.valid_signers)} of {r.threshold} "
                                                    f"({', '.join(r.valid_signers) or 'none'}); {r.state}"))

    @spend.command("broadcast")
    def broadcast(ctx: typer.Context, proposal_id: str = typer.Argument(...), chain_url: str = CHAIN_URL,
                  as_json: bool = JSON) -> None:
        """Finalise with M signatures and broadcast (refused unless ready)."""
        from biplomacy.reserve.spend import broadcast as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), _chain(c, chain_url), proposal_id)
        emit(r, as_json, lambda r: out.print(f"broadcast {r.txid}"))

    _spend_cancel(spend)
    return spend


def _spend_cancel(spend: typer.Typer) -> None:
    @spend.command("cancel")
    def cancel(ctx: typer.Context, proposal_id: str = typer.Argument(...),
               reason: str = typer.Option(..., "--reason", help="Why: audited."), as_json: bool = JSON) -> None:
        """Withdraw an open proposal; its coins are free for other proposals."""
        from biplomacy.reserve.spend import cancel as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), proposal_id, reason)
        emit(r, as_json, lambda r: out.print(f"{r.id} cancelled"))


def _ledger(app: typer.Typer) -> None:
    @app.command("address")
    def address(ctx: typer.Context, name: str = typer.Argument(...), as_json: bool = JSON) -> None:
        """The wallet's next unused receive address."""
        from biplomacy.reserve.wallets import next_address

        c = context.get(ctx)
        r = next_address(c.store(), c.actor(), name)
        emit(r, as_json, lambda r: out.print(r.address))

    @app.command("sync")
    def sync(ctx: typer.Context, name: str = typer.Argument(...), chain_url: str = CHAIN_URL,
             as_json: bool = JSON) -> None:
        """Sync the wallet's ledger from the chain (--chain-url, BIPLOMACY_CHAIN_URL, or the rehearsal chain)."""
        from biplomacy.reserve.wallets import sync as run

        c = context.get(ctx)
        r = run(c.store(), c.actor(), _chain(c, chain_url), name)
        emit(r, as_json, lambda r: out.print(f"{r.wallet}: {r.balance_btc:f} BTC at height {r.height}"
                                                    + (f"; VANISHED: {', '.join(r.vanished)}" if r.vanished else "")))

    ledger = typer.Typer(help="The holdings ledger: receipts by source, cost basis, valuation.", no_args_is_help=True)
    app.add_typer(ledger, name="ledger")

    @ledger.command("show")
    def show(ctx: typer.Context, name: str = typer.Argument(None, help="One wallet (default: all)."),
             as_json: bool = JSON) -> None:
        """Every receipt with its source, status and value in USD and PKR."""
        from biplomacy.reserve.holdings import holdings

        r = holdings(context.get(ctx).store(), name, public=False)
        title = (f"Holdings: {r.total_btc:f} BTC (USD {r.value_usd:,.2f})" if r.value_usd is not None else
                 f"Holdings, REHEARSAL (not national holdings, not valued): {r.total_btc:f} BTC")
        emit(r, as_json, lambda r: table(title,
                                                ["wallet", "txid:vout", "BTC", "source", "status", "height"],
                                                [(e.wallet, f"{e.txid[:12]}:{e.vout}", f"{e.btc:f}", e.source,
                                                  e.status, e.height) for e in r.entries]))

    @ledger.command("classify")
    def classify(ctx: typer.Context, name: str = typer.Argument(...), outpoint: str = typer.Argument(...,
                 help="TXID:VOUT"), source: str = typer.Option(..., "--source"),
                 zone: str = typer.Option("", "--zone", help="Mining zone (energy pillar) for mining receipts."),
                 cost_basis: str = typer.Option(None, "--cost-basis-usd"), as_json: bool = JSON) -> None:
        """Record where a receipt came from and its cost basis."""
        from biplomacy.reserve.wallets import classify as run

        txid, _, vout = outpoint.partition(":")
        if not vout.isdigit():
            raise InputError(f"{outpoint[:80]!r} is not TXID:VOUT", field="outpoint")
        c = context.get(ctx)
        r = run(c.store(), c.actor(), name, txid, int(vout), source, zone, cost_basis)
        emit(r, as_json, lambda r: out.print(f"{r.txid}:{r.vout} is {r.source}"))

    prices = typer.Typer(help="BTC prices in USD and PKR for valuation.", no_args_is_help=True)
    app.add_typer(prices, name="prices")

    @prices.command("import")
    def import_(ctx: typer.Context, file: Path = typer.Argument(None, help="CSV: day,currency,btc_price,source "
                "(default: the shipped cited snapshot)"), as_json: bool = JSON) -> None:
        """Import BTC prices (CSV); every bad row is reported and nothing is stored."""
        from biplomacy.reserve.holdings import import_prices

        c = context.get(ctx)
        r = import_prices(c.store(), c.actor(), file)
        emit(r, as_json, lambda r: out.print(f"{r.imported} prices imported from {r.file}"))


def register(app: typer.Typer) -> tuple[typer.Typer, typer.Typer]:
    """Add this module's commands to the `reserve` sub-app; the `wallet` and `spend` groups, for more commands."""
    wallet = _wallets(app)
    spend = _spend(app)
    _ledger(app)
    return wallet, spend
