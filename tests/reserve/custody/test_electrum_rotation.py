"""A signer rotation with the real wallet (issue #14, JOURNEYS 8 and 9): Debian's Electrum signs the sweep.

The custodian institution changed: the operator rotates the 3-of-5 treasury to a successor with the new
custodian's key. Three signers of the old wallet sign the sweep in Electrum (its setup file, each with their own
key); a signer who loads the successor's setup file in Electrum sees every coin arrive, less the fee, at the
successor's first address, and the old wallet in Electrum is empty. Only `electrum` commands run on the signers'
side.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.reserve.custody.conftest import Signer, make_signer, multisig
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write
from tests.reserve.custody.test_electrum_wallet import (  # noqa: F401 - `electrum` is the fixture
    Electrum,
    electrum,
    pytestmark,
    signer_wallet,
    wait_for,
)


def _btc(balance: dict[str, str]) -> Decimal:
    return Decimal(balance.get("confirmed", "0"))


def test_electrum_signers_sign_the_rotation_sweep_and_see_the_coins_arrive_in_the_successor(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str,
        electrum: Electrum) -> None:  # noqa: F811
    funded_treasury(cli, treasury_descriptor, cold_descriptor)
    old_file = tmp_path / "treasury.electrum.json"
    ok(cli("reserve", "wallet", "export", "treasury", "--format", "electrum", "--out", str(old_file), "--json"))
    setup = json.loads(old_file.read_text())
    files = [signer_wallet(setup, s, tmp_path / f"signer-{k}.json") for k, s in enumerate(signers[:3])]
    for f in files:
        assert electrum("load_wallet", wallet=f) is True
    wait_for("see the 1.5 BTC", lambda: _btc(electrum("getbalance", wallet=files[0])) == Decimal("1.5"))

    successor = multisig(3, [*signers[:4], make_signer("new-custodian")])
    started = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", successor,
                     "--json"))
    sweep = started["sweep"]
    new_file = tmp_path / "treasury-2.electrum.json"
    first_new = ok(cli("reserve", "wallet", "export", "treasury-2", "--format", "electrum", "--out", str(new_file),
                       "--json"))["first_address"]
    assert sweep["to"] == first_new  # the sweep pays the address every signer's successor wallet shows first
    assert electrum("load_wallet", wallet=new_file) is True  # watch-only: no key of ours in it
    assert electrum("listaddresses", wallet=new_file)[0] == first_new

    handed = sweep["psbt"]
    for k, wallet_file in enumerate(files):
        handed = electrum("signtransaction", handed, wallet=wallet_file)
        receipt = ok(cli("reserve", "spend", "submit", sweep["id"], "--psbt",
                         write(tmp_path, f"sweep-{k}.txt", handed), "--json"))
        assert receipt["accepted"], receipt["reason"]
    assert receipt["ready"] and receipt["kind"] == "sweep"
    ok(cli("reserve", "spend", "broadcast", sweep["id"], "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))

    arrived = Decimal(150_000_000 - sweep["fee_sats"]) / 10**8
    wait_for("see the sweep arrive in the successor", lambda: _btc(electrum("getbalance", wallet=new_file)) == arrived)
    wait_for("see the old wallet emptied", lambda: _btc(electrum("getbalance", wallet=files[0])) == 0)
    assert ok(cli("reserve", "wallet", "show", "treasury", "--json"))["state"] == "retired"
