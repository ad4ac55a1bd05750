"""Benchmark: wallet sync through Electrum (BDK's ElectrumClient) against the rehearsal chain's Electrum server.

A rehearsal chain holding TXS faucet transactions to a 3-of-5 wallet (spread over ADDRESSES receive addresses,
mined in blocks of 1,000; bench_reserve.fill_chain), served over loopback by two servers in their own
processes: the Electrum server (`reserve chain electrum`) and the Esplora router under uvicorn. Timed, best of
REPEATS, each from an empty ledger:
  1. biplomacy's sync through the Electrum adapter (BDK full scan, stop gap 20; a sync of revealed addresses
     only when the gap walk goes past what the full scan asked about, not here; then our ledger to SQLite);
  2. BDK alone: `ElectrumClient.full_scan` (stop gap 20, batch 25) + `Wallet.apply_update`;
  3. biplomacy's sync through the Esplora adapter over HTTP (the same work as bench_reserve.py's sync).
Every run must end with the same balance. Results go to bench/RESULTS-reserve-electrum.md.

Run: .venv/bin/python bench/bench_reserve_electrum.py [--txs 10000] [--addresses 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import bdkpython as bdk
from bench_reserve import ADMIN, descriptor, fill_chain, forget, free_port, new_store, serve, wait_for

from biplomacy.chain.electrum import ElectrumChain
from biplomacy.chain.esplora import http_chain
from biplomacy.reserve import wallets as reserve_wallets
from biplomacy.reserve.rehearsal.electrum_server import ElectrumServer, RehearsalElectrum
from biplomacy.store.db import Store, make_engine

RESULTS = Path(__file__).with_name("RESULTS-reserve-electrum.md")


def serve_electrum(url: str, port: int) -> None:
    server = ElectrumServer(RehearsalElectrum(Store(make_engine(url), url), "regtest"), "127.0.0.1", port)
    server.serve_forever()


def timed(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--txs", type=int, default=10_000)
    parser.add_argument("--addresses", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    text = descriptor()
    with tempfile.TemporaryDirectory() as folder:
        store = new_store(Path(folder), "chain.sqlite3")
        reserve_wallets.add_wallet(store, ADMIN, "regtest", "w", text)
        fill_chain(store, text, args.txs, args.addresses)
        url = store.url
        e_port, h_port = free_port(), free_port()
        processes = [multiprocessing.Process(target=serve_electrum, args=(url, e_port), daemon=True),
                     multiprocessing.Process(target=serve, args=(url, folder, h_port), daemon=True)]
        for p in processes:
            p.start()
        esplora_url = f"http://127.0.0.1:{h_port}/api/v1/rehearsal/esplora"
        electrum_url = f"tcp://127.0.0.1:{e_port}"
        wait_for(esplora_url)
        for _ in range(100):
            try:
                ElectrumChain(electrum_url, "regtest", timeout=2).tip_height()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        try:
            def ours(chain_url: str) -> int:
                forget(store)
                chain = ElectrumChain(chain_url, "regtest") if chain_url.startswith("tcp") else http_chain(chain_url)
                return reserve_wallets.sync(store, ADMIN, chain, "w").balance_sats

            def bdk_alone() -> int:
                wallet = bdk.Wallet.create_from_two_path_descriptor(bdk.Descriptor(text, bdk.NetworkKind.TEST),
                                                                    bdk.Network.REGTEST, bdk.Persister.new_in_memory())
                client = bdk.ElectrumClient(electrum_url)
                wallet.apply_update(client.full_scan(wallet.start_full_scan().build(), 20, 25, False))
                return int(wallet.balance().confirmed.to_sat())

            t_ours, b_ours = timed(lambda: ours(electrum_url), args.repeats)
            t_bdk, b_bdk = timed(bdk_alone, args.repeats)
            t_esplora, b_esplora = timed(lambda: ours(esplora_url), args.repeats)
        finally:
            for p in processes:
                p.terminate()
        assert b_ours == b_bdk == b_esplora, (b_ours, b_bdk, b_esplora)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"] * 3
    command = (f".venv/bin/python bench/bench_reserve_electrum.py --txs {args.txs} --addresses {args.addresses} "
               f"--repeats {args.repeats}")
    RESULTS.write_text(
        "# Reserve: wallet sync through Electrum (rehearsal chain on loopback)\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {' '.join(load)} (after the run). Command: `{command}`\n\n"
        f"{args.txs:,} faucet transactions over {args.addresses} receive addresses of a 3-of-5 wsh wallet; best "
        f"of {args.repeats}, each from an empty ledger; every run ends at the same balance ({b_ours:,} sat).\n\n"
        "| sync | seconds | vs BDK alone |\n| --- | ---: | ---: |\n"
        f"| biplomacy, Electrum adapter (BDK full scan + our ledger) | {t_ours:.2f} | "
        f"{t_ours / t_bdk:.2f}x |\n"
        f"| BDK `ElectrumClient.full_scan` + `apply_update` alone | {t_bdk:.2f} | 1.00x |\n"
        f"| biplomacy, Esplora adapter over HTTP | {t_esplora:.2f} | {t_esplora / t_bdk:.2f}x |\n",
        encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
