"""Bad input to custody commands: a clear message, exit 2 (or accepted: false), and stored data exactly as it was."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from embit.networks import NETWORKS

from tests.reserve.custody.conftest import Signer, make_signer, multisig
from tests.reserve.custody.test_ceremony import funded_treasury, ok, snapshot, write


def refused(result: Any, *words: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in result.stderr, result.stderr


def bad_descriptors(signers: list[Signer]) -> dict[str, tuple[str, str]]:
    good = multisig(3, signers)
    mainnet = [make_signer(f"main-{i}", "main") for i in range(3)]
    main_keys = ",".join(f"[{s.fingerprint}/48h/0h/0h/2h]"
                         f"{s.root.derive('m/48h/0h/0h/2h').to_public().to_string(version=NETWORKS['main']['xpub'])}"
                         "/<0;1>/*" for s in mainnet)
    xpub = signers[0].xpub
    return {
        "malformed": ("wsh(sortedmulti(3,", "expected wsh(sortedmulti"),
        "bad checksum": (good + "#qqqqqqqq", "checksum"),
        "wrong network": (f"wsh(sortedmulti(2,{main_keys}))", "another network"),
        "corrupted xpub": (good.replace(xpub, xpub[:-4] + ("aaaa" if xpub[-4:] != "aaaa" else "bbbb")), "malformed"),
        "threshold above signers": (multisig(6, signers), "between 1 and N"),
        "duplicate fingerprint": (good.replace(signers[1].fingerprint, signers[0].fingerprint), "more than once"),
        "no origin": (good.replace(f"[{signers[0].fingerprint}/48h/1h/0h/2h]", ""), "origin"),
    }


@pytest.mark.parametrize("case", ["malformed", "bad checksum", "wrong network", "corrupted xpub",
                                  "threshold above signers", "duplicate fingerprint", "no origin"])
def test_bad_descriptor_is_refused_and_nothing_is_stored(cli: Any, db_url: str, signers: list[Signer],
                                                         case: str) -> None:
    text, words = bad_descriptors(signers)[case]
    before = snapshot(db_url)
    refused(cli("reserve", "wallet", "add", "w", "--descriptor", text, "--json"), words)
    assert snapshot(db_url) == before


def test_descriptor_with_a_private_key_is_refused_without_echoing_it(cli: Any, db_url: str,
                                                                     signers: list[Signer]) -> None:
    tprv = signers[0].root.derive("m/48h/1h/0h/2h").to_string(version=NETWORKS["test"]["xprv"])
    text = multisig(3, signers).replace(signers[0].xpub, tprv)
    wif = signers[0].root.derive("m/0").key.wif(NETWORKS["test"])
    before = snapshot(db_url)
    for secret, descriptor in ((tprv, text), (wif, f"wsh(sortedmulti(1,{wif}))")):
        result = cli("reserve", "wallet", "add", "w", "--descriptor", descriptor, "--json")
        refused(result, "private key material")
        assert secret not in result.stderr and secret[:20] not in result.stdout + result.stderr
    assert snapshot(db_url) == before


def test_all_descriptor_problems_are_reported_at_once(cli: Any, signers: list[Signer]) -> None:
    text = multisig(7, signers).replace(signers[1].fingerprint, signers[0].fingerprint)
    result = cli("reserve", "wallet", "add", "w", "--descriptor", text, "--json")
    refused(result, "2 problem(s)", "between 1 and N", "more than once")


def test_bad_addresses_and_amounts_are_refused(cli: Any, db_url: str, treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--json"))
    before = snapshot(db_url)
    refused(cli("reserve", "chain", "fund", "bc1qnotanaddress", "1", "--json"), "not a valid Bitcoin address")
    mainnet = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    refused(cli("reserve", "chain", "fund", mainnet, "1", "--json"), "regtest")
    address = ok(cli("reserve", "address", "t", "--json"))["address"]
    before = snapshot(db_url)
    refused(cli("reserve", "chain", "fund", address, "0.123456789", "--json"), "8 decimal places")
    refused(cli("reserve", "chain", "fund", address, "0", "--json"), "more than 0")
    refused(cli("reserve", "chain", "fund", address, "1", "--source", "theft", "--json"), "source")
    refused(cli("reserve", "spend", "propose", "t", "--to", "nonsense", "--amount", "1", "--purpose", "x",
                "--json"), "not a valid Bitcoin address")
    refused(cli("reserve", "address", "nope", "--json"), "no reserve wallet")
    assert snapshot(db_url) == before


def psbt_variants(psbt_b64: str) -> dict[str, bytes]:
    raw = base64.b64decode(psbt_b64)
    return {
        "truncated": base64.b64encode(raw[: len(raw) // 2]),
        "bad base64": b"cHNidP8B!!!not-base64!!!",
        "not a psbt": b"hello, this is a letter",
    }


def duplicate_key_psbt(psbt_b64: str) -> bytes:
    """The same PSBT with its global unsigned-transaction record written twice."""
    raw = base64.b64decode(psbt_b64)
    body = raw[5:]
    key_len = body[0]
    value_len_at = 1 + key_len
    first = body[value_len_at]
    assert first < 0xFD
    record = body[: value_len_at + 1 + first]
    return base64.b64encode(raw[:5] + record + body)


def test_malformed_psbt_files_exit_2_and_change_nothing(cli: Any, db_url: str, tmp_path: Path,
                                                        treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.1",
                      "--purpose", "x", "--json"))
    cases = psbt_variants(proposal["psbt"])
    cases["duplicate keys"] = duplicate_key_psbt(proposal["psbt"])
    before = snapshot(db_url)
    expected = {"truncated": "truncated", "bad base64": "base64", "not a psbt": "not a PSBT",
                "duplicate keys": "duplicate key"}
    for name, data in cases.items():
        result = cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "x.psbt", data), "--json")
        refused(result, expected[name])
    refused(cli("reserve", "spend", "submit", proposal["id"], "--psbt", str(tmp_path / "missing.psbt"), "--json"),
            "no such file")
    refused(cli("reserve", "spend", "status", "sp-nope", "--json"), "no spend proposal")
    assert snapshot(db_url) == before


def test_unknown_policy_profile_is_refused(cli: Any, treasury_descriptor: str) -> None:
    refused(cli("reserve", "wallet", "add", "t", "--descriptor", treasury_descriptor, "--policy", "yolo", "--json"),
            "policy profile")


def test_price_csv_with_bad_rows_is_refused_whole(cli: Any, db_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "prices.csv", "day,currency,btc_price,source\n2025-01-01,USD,93400,CoinGecko\n"
                                        "2025-13-01,USD,1,x\n2025-01-02,EUR,1,x\n2025-01-03,USD,-5,x\n"
                                        "2025-01-04,USD,90000,\n")
    before = snapshot(db_url)
    result = cli("reserve", "prices", "import", bad, "--json")
    refused(result, "4 problem(s)", "YYYY-MM-DD", "USD or PKR", "positive", "source")
    assert snapshot(db_url) == before
    refused(cli("reserve", "prices", "import", write(tmp_path, "h.csv", "a,b\n1,2\n"), "--json"), "header")
    huge = write(tmp_path, "huge.csv", "day,currency,btc_price,source\n2025-01-01,USD,1e30,x\n"
                                       "2025-01-02,USD,90000.123456789,x\n")  # beyond NUMERIC(24, 8) (#20)
    refused(cli("reserve", "prices", "import", huge, "--json"), "2 problem(s)", "at most 8 decimals")
    assert snapshot(db_url) == before
