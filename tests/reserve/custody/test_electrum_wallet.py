"""JOURNEYS 8 with the real wallet: Debian's Electrum (a daemon in regtest mode) against the rehearsal server.

Three signers hold the reserve's setup file in Electrum, each with their own key: Electrum connects, sees the
coins at the same first address, follows new blocks without a restart (the server's pushed notifications), signs
the proposal's PSBT in turn (the third hands back the finished transaction, as Electrum does), and sees the spend
confirm. Nothing of ours runs on the signers' side: only `electrum` commands. scripts/system-deps.sh installs
Debian's electrum package (4.3.4 on bookworm) for `make test`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.reserve.custody.conftest import ORIGIN, Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write

ELECTRUM = shutil.which("electrum")
pytestmark = pytest.mark.skipif(ELECTRUM is None, reason="Debian's electrum is not installed (scripts/system-deps.sh "
                                                          "installs it for make test)")
VPRV = bytes.fromhex("02575048")  # SLIP-132 testnet P2WSH multisig private key version (Electrum's Vprv)
WAIT_S = 60


class Electrum:
    """The `electrum` command of one regtest daemon with its own data folder."""

    def __init__(self, home: Path) -> None:
        self.base = [str(ELECTRUM), "--regtest", "-D", str(home)]

    def __call__(self, *args: str, wallet: Path | None = None) -> Any:
        cmd = [*self.base, *args] + (["-w", str(wallet)] if wallet else [])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT_S)
        assert done.returncode == 0, f"{' '.join(args)}: {done.stderr[-2000:]}"
        text = done.stdout.strip()
        try:
            return json.loads(text)
        except ValueError:
            return text


def wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"Electrum did not {what} within {WAIT_S} s"
        time.sleep(0.5)


@pytest.fixture
def electrum(tmp_path: Path, electrum_url: str) -> Iterator[Electrum]:
    el = Electrum(tmp_path / "electrum")
    host_port = electrum_url.removeprefix("tcp://")
    el("daemon", "-d", "--oneserver", "--server", f"{host_port}:t")
    yield el
    subprocess.run([*el.base, "stop"], capture_output=True, timeout=WAIT_S)


def signer_wallet(setup: dict[str, Any], signer: Signer, path: Path) -> Path:
    """The exported watch-only file with this signer's own key in place, as Electrum's wizard writes a cosigner
    restored from its master key: its Vprv next to its Vpub (the private key never leaves the test)."""
    doc = json.loads(json.dumps(setup))
    mine = [k for k, v in doc.items() if k.startswith("x") and v["root_fingerprint"] == signer.fingerprint]
    assert len(mine) == 1
    doc[mine[0]]["xprv"] = signer.root.derive(ORIGIN).to_string(version=VPRV)
    path.write_text(json.dumps(doc))
    return path


def test_electrum_signers_rehearse_the_whole_ceremony_against_the_rehearsal_server(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str,
        electrum: Electrum) -> None:
    first, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    setup_file = tmp_path / "treasury.electrum.json"
    exported = ok(cli("reserve", "wallet", "export", "treasury", "--format", "electrum", "--out", str(setup_file),
                      "--json"))
    assert exported["first_address"] == first
    setup = json.loads(setup_file.read_text())
    files = [signer_wallet(setup, s, tmp_path / f"signer-{k}.json") for k, s in enumerate(signers[:3])]
    for f in files:
        assert electrum("load_wallet", wallet=f) is True

    # it connects and sees the coins, at the same first address
    wait_for("see the 1.5 BTC", lambda: electrum("getbalance", wallet=files[0]).get("confirmed") == "1.5")
    assert electrum("listaddresses", wallet=files[1])[0] == first

    # it follows the tip without a restart: a block mined here is pushed to it
    tip = ok(cli("reserve", "chain", "mine", "2", "--json"))["height"]
    wait_for("follow the new tip", lambda: electrum("getinfo")["blockchain_height"] == tip)

    # each signer signs in Electrum and hands back what Electrum produced
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose",
                      "to cold storage", "--json"))
    handed = proposal["psbt"]
    for k, wallet_file in enumerate(files):
        handed = electrum("signtransaction", handed, wallet=wallet_file)
        receipt = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                         write(tmp_path, f"from-electrum-{k}.txt", handed), "--json"))
        assert receipt["accepted"], receipt["reason"]
        assert signers[k].fingerprint in receipt["valid_signers"]
    assert not handed.startswith("cHNidP8"), "the third signature completes the transaction: raw hex, not a PSBT"
    assert receipt["ready"] is True and len(receipt["valid_signers"]) == 3

    txid = ok(cli("reserve", "spend", "broadcast", proposal["id"], "--json"))["txid"]
    wait_for("see the spend in the mempool", lambda: any(
        tx["txid"] == txid for tx in electrum("onchain_history", wallet=files[2])["transactions"]))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    change = 150_000_000 - 100_000_000 - proposal["fee_sats"]

    def confirmed_spend() -> bool:
        history = electrum("onchain_history", wallet=files[0])["transactions"]
        spent = [t for t in history if t["txid"] == txid]
        balance = electrum("getbalance", wallet=files[0])
        return bool(spent) and spent[0]["confirmations"] == 1 and Decimal(balance.get("confirmed", "0")) * 10**8 == change

    wait_for("see the spend confirm", confirmed_spend)
