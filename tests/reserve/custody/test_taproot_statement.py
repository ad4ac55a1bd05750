"""Reserve statements (BIP-322 proof of funds) for a 2-of-3 taproot multisig wallet: the store's ceremony through
the CLI and the store-less draft/assemble, each verified offline; edits and bad signatures are caught."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from embit.psbt import PSBT
from embit.script import Witness

from biplomacy.reserve.model import statement as st
from biplomacy.reserve.model import statement_offline as offline
from biplomacy.reserve.model.descriptors import parse_descriptor
from tests.reserve.custody.test_ceremony import ok, snapshot, write
from tests.reserve.custody.test_taproot import SIGNERS, taproot
from tests.reserve.custody.test_taproot_spend import sign

MESSAGE = "Strategic Bitcoin Reserve: taproot vault statement"


def test_a_taproot_statement_is_signed_by_two_finalised_and_verifies_offline(cli: Any, db_url: str,
                                                                             tmp_path: Path) -> None:
    ok(cli("reserve", "wallet", "add", "vault", "--descriptor", taproot(2, SIGNERS[::-1], "multi_a"), "--json"))
    for amount in ("0.6", "0.15"):
        ok(cli("reserve", "chain", "fund", ok(cli("reserve", "address", "vault", "--json"))["address"], amount,
               "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "vault", "--json"))
    built = ok(cli("reserve", "statement", "build", "vault", "--message", MESSAGE, "--json"))
    assert (built["total_btc"], built["utxos"], built["threshold"]) == ("0.75", 2, 2)

    corrupted = PSBT.from_base64(sign(0, built["psbt"]))
    sigs = corrupted.inputs[1].taproot_sigs
    key = next(iter(sigs))
    sigs[key] = bytes([sigs[key][0] ^ 1]) + sigs[key][1:]
    before = snapshot(db_url)
    bad = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                 write(tmp_path, "bad.psbt", corrupted.to_base64()), "--json"))
    assert bad["accepted"] is False and "does not verify" in bad["reason"]
    assert snapshot(db_url) == before

    for k in (0, 2):
        result = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                        write(tmp_path, f"s{k}.psbt", sign(k, built["psbt"])), "--json"))
        assert result["accepted"], result["reason"]
    final = ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    assert final["state"] == "final" and sorted(final["signers"]) == sorted(SIGNERS[k].fingerprint for k in (0, 2))

    ok(cli("reserve", "statement", "show", built["id"], "--out", str(tmp_path / "statement.json"), "--json"))
    ok(cli("reserve", "statement", "chain-data", "--out", str(tmp_path / "chain.json"), "--json"))
    check = ok(cli("reserve", "verify-statement", str(tmp_path / "statement.json"), "--chain-data",
                   str(tmp_path / "chain.json"), "--json"))
    assert check["valid"] is True, check["reason"]
    assert (check["total_btc"], check["utxos"]) == ("0.75", 2)
    assert sorted(check["signers"]) == sorted(SIGNERS[k].fingerprint for k in (0, 2))

    statement = json.loads((tmp_path / "statement.json").read_text())
    for field, value in (("total_sats", statement["total_sats"] + 1), ("message", MESSAGE + "!"),
                         ("height", statement["height"] + 1)):
        assert st.verify_statement({**statement, field: value}).valid is False


def test_a_taproot_statement_drafted_without_the_store_needs_m_signatures() -> None:
    wallet = parse_descriptor(taproot(2, SIGNERS), "regtest")
    utxos = [{"txid": f"{k:064x}", "vout": k, "sats": 10_000 * (k + 1),
              "script_pubkey": wallet.script_pubkey(k, bool(k % 2)).hex()} for k in range(3)]
    draft = offline.draft(wallet.text, "regtest", "vault", utxos, 120, "ab" * 32, MESSAGE)
    signed = [PSBT.from_base64(sign(k, draft["psbt"])) for k in (2, 1)]
    doc = offline.assemble(draft, signed)
    check = st.verify_statement(doc)
    assert check.valid, check.reason
    assert (check.total_sats, sorted(check.signers)) == (60_000, sorted(SIGNERS[k].fingerprint for k in (1, 2)))
    with pytest.raises(ValueError, match="1 of 2 signatures"):
        offline.assemble(draft, signed[:1])

    final = PSBT.parse(base64.b64decode(doc["signature"][3:]))
    items = list(final.inputs[2].final_scriptwitness.items)
    k = next(i for i, item in enumerate(items[:-2]) if item)
    items[k] = items[k][:7] + bytes([items[k][7] ^ 1]) + items[k][8:]
    final.inputs[2].final_scriptwitness = Witness(items)
    edited = {**doc, "signature": "pof" + base64.b64encode(final.serialize()).decode()}
    check = st.verify_statement(edited)
    assert check.valid is False and "input 2: invalid signature" in str(check.reason)
