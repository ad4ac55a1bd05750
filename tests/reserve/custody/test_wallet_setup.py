"""Keys as signers hold them, and the setup files their wallets import: SLIP-132 Zpub/Vpub keys in descriptors,
each wrong kind or network refused by name; `reserve wallet export --format electrum|sparrow|coldcard|bsms` and
`reserve wallet import --file`, round trip and against BIP-129's own test vector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from biplomacy.core.errors import InputError
from biplomacy.core.permissions import Actor
from biplomacy.reserve import wallet_setup
from biplomacy.reserve.model.descriptors import electrum_xpub, parse_descriptor, with_version
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer, multisig
from tests.reserve.custody.test_ceremony import ok, write

ADMIN = Actor("admin", "admin")
# BIP-129 "Mode: NO_ENCRYPTION", round 2, the coordinator's descriptor record (bitcoin/bips bip-0129.mediawiki,
# commit 0e9aef5d, read 2026-11-24): a mainnet 2-of-2 whose first address the importer must derive itself.
BIP129_RECORD = (
    "BSMS 1.0\n"
    "wsh(sortedmulti(2,[1cf0bf7e/48'/0'/0'/2']xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qo"
    "zxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz/**,[4fc1dd4a/48'/0'/0'/2']xpub6EebMbEps7ZcV3FYEnddRsvrFWDrt2tiPmCeM"
    "7pPXQEmphvq9ZfJ1LWFUDjf3vxCeBuPrfyGrMazWUsYsetrnHatQZVLJH7LsgCjtMqdzgj/**))\n"
    "/0/*,/1/*\n"
    "bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej\n")


def _with_key(descriptor_keys: list[Signer], first_version: str) -> str:
    first, *rest = descriptor_keys
    key = with_version(first.xpub, bytes.fromhex(first_version))
    return (f"wsh(sortedmulti(2,[{first.fingerprint}/48h/1h/0h/2h]{key}/<0;1>/*,"
            + ",".join(s.key_expression for s in rest) + "))")


def test_electrum_s_vpub_keys_import_as_the_same_wallet_and_each_wrong_kind_is_refused_by_name(
        signers: list[Signer]) -> None:
    plain = parse_descriptor(multisig(2, signers[:3]), "regtest")
    as_electrum = multisig(2, signers[:3]).replace(signers[0].xpub, electrum_xpub(signers[0].xpub))
    assert "Vpub" in as_electrum and parse_descriptor(as_electrum, "regtest").text == plain.text
    refusals = {"024289ef": "a Upub is a key for multisig wrapped in P2SH", "045f1cf6": "a vpub is a key for "
                "single-signature P2WPKH", "044a5262": "a upub is a key for single-signature P2WPKH wrapped",
                "02aa7ed3": "a Zpub is a key for another network", "0488b21e": "a xpub is a key for another network"}
    for version, words in refusals.items():
        with pytest.raises(InputError, match=words):
            parse_descriptor(_with_key(signers[:3], version), "regtest")
    taproot = f"tr(50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0,sortedmulti_a(2,{as_electrum[18:-2]}))"
    with pytest.raises(InputError, match="SLIP-132 has no taproot prefix"):
        parse_descriptor(taproot, "regtest")


def test_the_backup_sheet_shows_each_key_as_electrum_asks_for_it(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    ok(cli("reserve", "wallet", "backup-sheet", "treasury", "--signer", signers[0].fingerprint, "--out",
           str(tmp_path / "sheet.txt"), "--json"))
    text = (tmp_path / "sheet.txt").read_text()
    for s in signers:
        assert s.xpub in text and electrum_xpub(s.xpub) in text


@pytest.mark.parametrize("fmt", ["electrum", "sparrow", "coldcard", "bsms"])
def test_every_setup_format_exports_and_imports_back_as_the_same_wallet(
        cli: Any, tmp_path: Path, treasury_descriptor: str, fmt: str) -> None:
    added = ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    first = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    out = tmp_path / f"treasury.{fmt}"
    exported = ok(cli("reserve", "wallet", "export", "treasury", "--format", fmt, "--out", str(out), "--json"))
    assert exported["first_address"] == first and exported["path"] == str(out)
    imported = ok(cli("reserve", "wallet", "import", "copy", "--file", str(out), "--json"))
    assert (imported["descriptor"], imported["format"], imported["first_address"]) == (added["descriptor"], fmt, first)
    assert imported["threshold"] == 3 and imported["signers"] == added["signers"]


def test_the_electrum_file_is_what_electrum_reads(tmp_path: Path, store: Store, treasury_descriptor: str) -> None:
    from biplomacy.reserve.wallets import add_wallet

    add_wallet(store, ADMIN, "regtest", "treasury", treasury_descriptor)
    _, content = wallet_setup.export_setup(store, ADMIN, "treasury", "electrum")
    doc = json.loads(content)
    assert doc["wallet_type"] == "3of5" and doc["seed_version"] == 50
    keystores = [doc[f"x{i}/"] for i in range(1, 6)]
    assert all(k["type"] == "bip32" and k["xpub"].startswith("Vpub") and k["xprv"] is None for k in keystores)
    assert {k["derivation"] for k in keystores} == {"m/48h/1h/0h/2h"}


def test_bip129_s_own_descriptor_record_imports_and_a_tampered_one_is_refused(store: Store) -> None:
    imported = wallet_setup.import_setup(store, ADMIN, "bitcoin", "bsms-vector", BIP129_RECORD.encode())
    assert imported.format == "bsms" and imported.wallet.threshold == 2
    assert imported.first_address == "bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej"
    tampered = BIP129_RECORD.replace("bc1qrgc6p", "bc1qrgc6q")
    with pytest.raises(InputError, match="states first address"):
        wallet_setup.import_setup(store, ADMIN, "bitcoin", "tampered", tampered.encode())
    with pytest.raises(InputError, match="another network"):
        wallet_setup.import_setup(store, ADMIN, "regtest", "wrong-net", BIP129_RECORD.encode())


@pytest.mark.parametrize("body, words", [
    (b'{"wallet_type": "standard"}', "not a multisig"),
    (b'{"label": "x"}', "neither an Electrum wallet file"),
    (b"Name: x\nPolicy: 2 of 3\nFormat: P2SH\n", "the reserve imports native P2WSH"),
    (b"BSMS 1.0\nwsh(sortedmulti(1,[59865f44/48'/0'/0'/2']026d15412460ba0d881c21837bb999233896085a9ed4e5445bd637c1"
     b"0e579768ba))\nNo path restrictions\nbc1q\n", "expected [fingerprint/origin/path]xpub"),
    (b"BIE1" + b"A" * 80, "encrypted"),
    (b"just words", "none of"),
    (b"\xff\xfe\x00", "not text"),
])
def test_a_setup_file_of_the_wrong_kind_is_refused_by_name_and_nothing_stored(
        cli: Any, tmp_path: Path, body: bytes, words: str) -> None:
    result = cli("reserve", "wallet", "import", "x", "--file", write(tmp_path, "setup", body), "--json")
    assert result.exit_code == 2 and words in result.stderr
    assert ok(cli("reserve", "wallet", "list", "--json")) == []


def test_electrum_files_that_are_legacy_p2sh_or_hold_a_private_key_are_refused(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    out = tmp_path / "e.json"
    ok(cli("reserve", "wallet", "export", "treasury", "--format", "electrum", "--out", str(out), "--json"))
    doc = json.loads(out.read_text())
    legacy = json.loads(json.dumps(doc))
    legacy["x1/"]["xpub"] = with_version(legacy["x1/"]["xpub"], bytes.fromhex("043587cf"))
    result = cli("reserve", "wallet", "import", "legacy", "--file", write(tmp_path, "l.json", json.dumps(legacy)))
    assert result.exit_code == 2 and "legacy P2SH" in result.stderr
    doc["x2/"]["xprv"] = "Vprv-not-shown"
    result = cli("reserve", "wallet", "import", "secret", "--file", write(tmp_path, "s.json", json.dumps(doc)))
    assert result.exit_code == 2 and "holds a private key" in result.stderr and "Vprv-not" not in result.stderr
    taproot = cli("reserve", "wallet", "export", "treasury", "--format", "nope", "--out", str(out))
    assert taproot.exit_code == 2 and "electrum, sparrow, coldcard, bsms" in taproot.stderr
