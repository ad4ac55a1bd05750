"""Sync and broadcast through Electrum (BDK's ElectrumClient) against the rehearsal chain's Electrum server.

A wallet synced through Electrum must hold the same coins, heights, block times and statuses as the same
descriptor synced through Esplora, before and after a reorg; a bad Electrum server is a clear exit 2.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import bdkpython as bdk
import pytest
from embit.transaction import Transaction, TransactionInput, TransactionOutput
from sqlalchemy import select as sql_select

from biplomacy.chain.electrum import ElectrumChain
from biplomacy.core.config import Settings
from biplomacy.core.errors import ConfigError, InputError
from biplomacy.reserve.model.descriptors import WalletDescriptor, parse_descriptor
from biplomacy.reserve.rehearsal.electrum_server import ElectrumServer, RehearsalElectrum
from biplomacy.reserve.tables import LedgerEntryRow, WalletRow
from biplomacy.reserve.wallets import scan
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer, esplora_over_asgi
from tests.reserve.custody.test_ceremony import ok, snapshot, write


def ledger_of(store: Store, name: str) -> list[tuple[Any, ...]]:
    """A wallet's ledger without what only differs by adapter (the rehearsal source hint, sync timestamps)."""
    with store.read() as session:
        wallet = session.scalars(sql_select(WalletRow).where(WalletRow.name == name)).one()
        rows = session.scalars(sql_select(LedgerEntryRow).where(LedgerEntryRow.wallet_id == wallet.id))
        return sorted((r.txid, r.vout, r.address, r.sats, r.status, r.block_height, r.block_time) for r in rows)


def both_synced(cli: Any, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    via_electrum = ok(cli("reserve", "sync", "e", "--chain-url", url, "--json"))
    via_esplora = ok(cli("reserve", "sync", "s", "--json"))
    for key in ("height", "balance_sats", "unconfirmed_btc", "vanished"):
        assert via_electrum[key] == via_esplora[key], key
    return via_electrum, via_esplora


def same_scan(store: Store, settings: Settings, url: str, wallet: WalletDescriptor) -> None:
    """Both adapters' gap walks visit the same addresses, find the same transactions and the same next indexes."""
    ours = scan(ElectrumChain(url, "regtest"), wallet, (0, 0), 10)
    theirs = scan(esplora_over_asgi(store, settings), wallet, (0, 0), 10)
    assert ours[0] == theirs[0] and ours[2] == theirs[2] and ours[2][0] == 13

    def comparable(txs: list[Any]) -> list[Any]:
        # the rehearsal Esplora calls a faucet input (a made-up outpoint) coinbase; Electrum shows it as spent:
        # compare what is spent among outputs that exist
        known = {t.txid for t in txs}
        return sorted((t.txid, t.height, t.outputs, tuple(s for s in t.spends if s[0] in known), t.time)
                      for t in txs)
    assert comparable(ours[1]) == comparable(theirs[1]) and ours[1]


def test_electrum_and_esplora_sync_the_same_wallet_alike_through_a_spend_and_a_reorg(
        cli: Any, store: Store, settings: Settings, electrum_url: str, tmp_path: Path, signers: list[Signer],
        treasury_descriptor: str, cold_descriptor: str) -> None:
    for name in ("e", "s"):  # the same descriptor twice: one synced through Electrum, one through Esplora
        ok(cli("reserve", "wallet", "add", name, "--descriptor", treasury_descriptor, "--json"))
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    wallet = parse_descriptor(treasury_descriptor, "regtest")
    for index, amount in ((0, "1.5"), (4, "0.25"), (12, "0.125")):  # 12 is past the first 10: the gap walk
        ok(cli("reserve", "chain", "fund", wallet.address(index), amount, "--json"))
    ok(cli("reserve", "chain", "mine", "2", "--json"))
    pending = ok(cli("reserve", "chain", "fund", wallet.address(1), "0.5", "--json"))["txid"]  # in the mempool
    electrum, _ = both_synced(cli, electrum_url)
    assert (electrum["balance_sats"], electrum["unconfirmed_btc"], electrum["height"]) == (187_500_000, "0.5", 2)
    assert ledger_of(store, "e") == ledger_of(store, "s") and len(ledger_of(store, "e")) == 4

    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    proposal = ok(cli("reserve", "spend", "propose", "e", "--to", cold, "--amount", "1.6", "--purpose",
                      "to cold storage", "--chain-url", electrum_url, "--json"))
    for k, signer in enumerate(signers[:3]):
        ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
               write(tmp_path, f"s{k}.psbt", signer.sign(proposal["psbt"])), "--json"))
    spend = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--chain-url", electrum_url, "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    electrum, _ = both_synced(cli, electrum_url)
    assert electrum["balance_sats"] == 187_500_000 + 50_000_000 - 160_000_000 - proposal["fee_sats"]
    assert ledger_of(store, "e") == ledger_of(store, "s")
    assert spend in {row[0] for row in ledger_of(store, "e")}  # the change came back to a change address
    same_scan(store, settings, electrum_url, wallet)

    ok(cli("reserve", "chain", "reorg", "1", "--json"))  # block 3 goes, with the spend and the 0.5 BTC receipt
    electrum, _ = both_synced(cli, electrum_url)
    assert sorted(v.split(":")[0] for v in electrum["vanished"]) == sorted([spend, pending])
    assert electrum["balance_sats"] == 187_500_000
    assert ledger_of(store, "e") == ledger_of(store, "s")

    same_scan(store, settings, electrum_url, wallet)


def test_the_electrum_adapter_reads_raw_transactions_and_refuses_a_bad_broadcast(
        cli: Any, electrum_url: str, treasury_descriptor: str) -> None:
    wallet = parse_descriptor(treasury_descriptor, "regtest")
    txid = ok(cli("reserve", "chain", "fund", wallet.address(0), "1", "--json"))["txid"]
    chain = ElectrumChain(electrum_url, "regtest")
    raw = chain.tx_hex(txid)
    assert raw is not None and bdk.Transaction(bytes.fromhex(raw)).compute_txid().serialize()[::-1].hex() == txid
    assert chain.tx_hex("00" * 32) is None
    assert chain.tip_height() == 0
    with pytest.raises(InputError, match="refused the transaction: .*does not exist"):
        chain.broadcast(_spending_nothing(raw))
    with pytest.raises(InputError, match="not valid hex"):
        chain.broadcast("zz")
    with pytest.raises(InputError, match="scanned wallet only"):
        chain.address_history(wallet.address(0))


def _spending_nothing(raw_hex: str) -> str:
    """A transaction spending the faucet payment's made-up outpoint, which the chain has no output for."""
    paid = Transaction.from_string(raw_hex)
    return Transaction(vin=[TransactionInput(paid.vin[0].txid, paid.vin[0].vout)],
                       vout=[TransactionOutput(1000, paid.vout[0].script_pubkey)]).serialize().hex()


def _garbling_server() -> tuple[socket.socket, str]:
    """A TCP server that answers every line with something that is not JSON."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                reader = conn.makefile("rb")
                while reader.readline():
                    conn.sendall(b"<html>not electrum</html>\n")
    threading.Thread(target=serve, daemon=True).start()
    return listener, f"tcp://127.0.0.1:{listener.getsockname()[1]}"


def test_a_silent_electrum_server_times_out_with_a_clear_error() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections (the kernel does) and never answers
    try:
        with pytest.raises(ConfigError, match="no answer within 1 s"):
            ElectrumChain(f"tcp://127.0.0.1:{listener.getsockname()[1]}", "regtest", timeout=1).tip_height()
    finally:
        listener.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("case", ["unreachable", "garbled", "scheme"])
def test_a_bad_electrum_server_is_exit_2_and_nothing_stored_changes(cli: Any, db_url: str, case: str,
                                                                  treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "t", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    listener = None
    if case == "garbled":
        listener, url = _garbling_server()
    elif case == "unreachable":
        url = f"tcp://127.0.0.1:{_free_port()}"
    else:
        url = "ftp://127.0.0.1:50001"
    before = snapshot(db_url)
    try:
        result = cli("reserve", "sync", "t", "--chain-url", url, "--json")
    finally:
        if listener:
            listener.close()
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (url[:20] in result.stderr) and ("nothing was stored" in result.stderr or case == "scheme")
    assert {"unreachable": "connection", "garbled": "Json", "scheme": "tcp:// or ssl://"}[case] in result.stderr
    assert snapshot(db_url) == before


def test_the_cli_serves_the_rehearsal_chain_over_electrum_on_loopback(db_url: str, tmp_path: Path,
                                                                        treasury_descriptor: str) -> None:
    env = {**os.environ, "BIPLOMACY_DATABASE_URL": db_url, "BIPLOMACY_VAR_DIR": str(tmp_path / "var")}
    run = [str(Path(sys.executable).parent / "biplomacy")]
    refused = subprocess.run([*run, "reserve", "chain", "electrum", "--host", "0.0.0.0", "--port", "0"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "loopback only" in refused.stderr
    wallet = parse_descriptor(treasury_descriptor, "regtest")
    funded = subprocess.run([*run, "reserve", "chain", "fund", wallet.address(2), "0.75", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert funded.returncode == 0, funded.stderr
    subprocess.run([*run, "reserve", "chain", "mine", "1"], env=env, check=True, capture_output=True, timeout=60)
    server = subprocess.Popen([*run, "reserve", "chain", "electrum", "--port", "0"], env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        ready, _, _ = select.select([server.stderr], [], [], 60)
        assert ready, "the server printed nothing"
        line = server.stderr.readline()
        url = line.split(" on ")[1].split()[0]
        assert url.startswith("tcp://127.0.0.1:")
        bdk_wallet = bdk.Wallet.create_from_two_path_descriptor(bdk.Descriptor(wallet.text, bdk.NetworkKind.TEST),
                                                                bdk.Network.REGTEST, bdk.Persister.new_in_memory())
        update = bdk.ElectrumClient(url).full_scan(bdk_wallet.start_full_scan().build(), 10, 5, False)
        bdk_wallet.apply_update(update)
        assert bdk_wallet.balance().confirmed.to_sat() == 75_000_000
        assert bdk_wallet.latest_checkpoint().height == 1
    finally:
        server.terminate()
        server.wait(30)


def test_ssl_urls_go_through_tls_and_an_untrusted_certificate_is_refused(store: Store, tmp_path: Path,
                                                                         treasury_descriptor: str) -> None:
    import shutil
    import ssl

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl binary to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    class TlsServer(ElectrumServer):
        def get_request(self) -> tuple[Any, Any]:
            conn, address = super().get_request()
            return context.wrap_socket(conn, server_side=True), address

    server = TlsServer(RehearsalElectrum(store, "regtest"), "127.0.0.1", 0)
    server.start()
    try:
        url = server.url.replace("tcp://", "ssl://")
        from biplomacy.core.permissions import Actor
        from biplomacy.reserve.rehearsal import chain

        wallet = parse_descriptor(treasury_descriptor, "regtest")
        chain.fund(store, Actor("admin", "admin"), "regtest", wallet.address(0), "0.5")
        chain.mine(store, Actor("admin", "admin"), 1)
        trusting = ElectrumChain(url, "regtest", validate_domain=False)
        trusting.watch(wallet.text, (0, 0), 5)
        assert [t.height for t in trusting.address_history(wallet.address(0))] == [1]
        with pytest.raises(ConfigError, match="invalid peer certificate"):
            ElectrumChain(url, "regtest").tip_height()  # the default checks the certificate: self-signed fails
        with pytest.raises(ConfigError, match="tcp://.*failed to"):
            ElectrumChain(server.url, "regtest", timeout=5).tip_height()  # plain TCP to a TLS port
    finally:
        server.shutdown()
        server.server_close()


def test_an_address_revealed_beyond_the_gap_is_still_scanned_through_electrum(
        cli: Any, store: Store, electrum_url: str, treasury_descriptor: str) -> None:
    from biplomacy.core.permissions import Actor
    from biplomacy.core.provenance import load_registry
    from biplomacy.reserve import wallets as reserve_wallets
    from biplomacy.reserve.rehearsal import chain

    admin = Actor("admin", "admin")
    gap = int(load_registry().value("reserve.custody.gap_limit"))
    reserve_wallets.add_wallet(store, admin, "regtest", "far", treasury_descriptor)
    shown = [reserve_wallets.next_address(store, admin, "far").address for _ in range(gap + 6)]
    chain.fund(store, admin, "regtest", shown[-1], "0.4")  # only the last one shown is paid: BDK's scan stops
    chain.mine(store, admin, 1)                           # at the gap; the revealed addresses are synced after
    synced = reserve_wallets.sync(store, admin, ElectrumChain(electrum_url, "regtest"), "far")
    assert synced.balance_sats == 40_000_000
