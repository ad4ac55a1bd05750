"""An exchange's reserve addresses are proven with real BIP-322 signatures before they count as proven reserves."""

import json

from embit import ec
from embit.networks import NETWORKS
from embit.script import p2wpkh

from biplomacy.reserve.bip322.message import sign_simple_p2wpkh


def _signed_holding(seed: int, message: str, balance: int, *, sign_message: str | None = None):
    key = ec.PrivateKey(bytes([seed]) * 32)
    address = p2wpkh(key.get_public_key()).address(NETWORKS["main"])
    return {"asset": "BTC", "address": address, "balance": balance, "message": message,
            "signature": sign_simple_p2wpkh(key, sign_message or message, address)}


def test_signed_addresses_count_as_proven_and_a_wrong_message_does_not(cli_nodb, tmp_path):
    liabilities = tmp_path / "l.csv"
    liabilities.write_text("user_id,asset,balance\nalice,BTC,500\nbob,BTC,700\n")
    built = cli_nodb("supervise", "solvency", "build", "--liabilities", str(liabilities), "--out", str(tmp_path / "o"),
                     "--json")
    assert built.exit_code == 0, built.stderr
    msg = "IndusX reserves at snapshot"
    reserves = tmp_path / "reserves.json"
    reserves.write_text(json.dumps({"reserves": [
        _signed_holding(1, msg, 1000),
        _signed_holding(2, msg, 400, sign_message="a different message"),
    ]}))
    r = cli_nodb("supervise", "solvency", "reserves", "--root", str(tmp_path / "o" / "root.json"),
                 "--reserves", str(reserves), "--json")
    assert r.exit_code == 0, r.stderr
    assert [h["ownership"] for h in r.json["holdings"]] == ["proven", "invalid"]
    assert r.json["assets"]["BTC"]["proven_reserves"] == 1000
