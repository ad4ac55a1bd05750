"""A reserve statement built, signed by three of five embit devices and verified offline, and every edit caught."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from embit.psbt import PSBT

from biplomacy.reserve.model.descriptors import parse_descriptor
from biplomacy.reserve.model.ledger import btc_text
from biplomacy.reserve.model.statement import Coin, build_pof_psbt, finalize, signed_message, verify_statement
from tests.reserve.custody.conftest import make_signer, multisig

HEIGHT, BLOCK = 7, "ab" * 32
SIGNERS = [make_signer(x) for x in ("mof", "sbp", "pcc", "pvara", "custodian")]


def _coins(wallet: Any) -> list[Coin]:
    out = []
    for k, (sats, change, index) in enumerate([(150_000_000, False, 0), (20_000_000, False, 1),
                                               (5_000, True, 0)]):
        txid = hashlib.sha256(f"coin {k}".encode()).hexdigest()
        out.append(Coin(txid, k, sats, wallet.script_pubkey(index, change).hex(), change, index))
    return out


def _statement(signers: list[Any] = SIGNERS[:3]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wallet = parse_descriptor(multisig(3, SIGNERS), "regtest")
    coins = _coins(wallet)
    message = "Pakistan strategic bitcoin reserve, statement for Q4 2026"
    unsigned = build_pof_psbt(wallet, signed_message(message, "treasury", HEIGHT, BLOCK), coins)
    signed = [PSBT.from_base64(s.sign(unsigned.to_base64())) for s in signers]
    total = sum(c.sats for c in coins)
    statement = {"format": "biplomacy-reserve-statement/1", "id": "rs-test", "wallet": "treasury",
                 "network": "regtest", "descriptor": wallet.text, "address": wallet.address(0, False),
                 "threshold": 3, "height": HEIGHT, "block_hash": BLOCK, "message": message,
                 "utxos": [c.as_dict() for c in coins], "total_sats": total, "total_btc": btc_text(total),
                 "created_at": "2026-11-23T08:00:00+00:00", "signature": finalize(unsigned, signed)}
    chain = [{"txid": c.txid, "vout": c.vout, "sats": c.sats, "script_pubkey": c.script_pubkey, "height": 5}
             for c in coins]
    return statement, chain


def test_three_of_five_statement_verifies_offline_with_its_signers() -> None:
    statement, chain = _statement()
    check = verify_statement(statement, {"height": HEIGHT, "block_hash": BLOCK, "utxos": chain})
    assert check.valid, check.reason
    assert check.total_sats == 170_005_000 and check.as_dict()["total_btc"] == "1.70005"
    assert check.signers == tuple(sorted(s.fingerprint for s in SIGNERS[:3]))
    assert check.utxos == 3 and check.chain_checked


def test_two_signatures_do_not_finalize_a_three_of_five_statement() -> None:
    with pytest.raises(ValueError, match="2 of 3 signatures"):
        _statement(SIGNERS[:2])


def _edited(path: str, value: Any) -> dict[str, Any]:
    statement, _ = _statement()
    edited = copy.deepcopy(statement)
    target: Any = edited
    *parents, last = path.split(".")
    for p in parents:
        target = target[int(p)] if p.isdigit() else target[p]
    target[int(last) if last.isdigit() else last] = value
    return edited


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("total_sats", 270_005_000, "not the sum of the coins"),
    ("total_btc", "2.70005", "total_btc"),
    ("height", HEIGHT + 1, "not over this statement's message"),
    ("block_hash", "cd" * 32, "not over this statement's message"),
    ("message", "Pakistan strategic bitcoin reserve, statement for Q1 2027", "not over this statement's message"),
    ("wallet", "cold", "not over this statement's message"),
    ("utxos.0.sats", 250_000_000, "not the sum"),
    ("signature", "smp" + "AAAA", "no `pof` prefix"),
])
def test_an_edited_field_makes_the_statement_invalid_with_its_reason(path: str, value: Any, reason: str) -> None:
    check = verify_statement(_edited(path, value))
    assert check.valid is False and reason in (check.reason or "")


def test_an_edited_coin_amount_with_a_matching_total_breaks_the_signature() -> None:
    statement, _ = _statement()
    statement["utxos"][0]["sats"] += 100_000_000
    statement["total_sats"] += 100_000_000
    statement["total_btc"] = btc_text(statement["total_sats"])
    check = verify_statement(statement)
    assert check.valid is False and "input 1: invalid signature" in (check.reason or "")


def test_a_swapped_coin_is_not_what_was_signed() -> None:
    statement, _ = _statement()
    statement["utxos"][1]["txid"] = hashlib.sha256(b"a coin the reserve never held").hexdigest()
    check = verify_statement(statement)
    assert check.valid is False and "other coins" in (check.reason or "")


def test_a_corrupted_signature_is_invalid() -> None:
    statement, _ = _statement()
    raw = bytearray(statement["signature"].encode())
    raw[200] = ord("A") if raw[200] != ord("A") else ord("B")
    check = verify_statement({**statement, "signature": raw.decode()})
    assert check.valid is False


def test_a_coin_spent_or_unconfirmed_at_the_snapshot_is_refused_by_the_chain_data() -> None:
    statement, chain = _statement()
    assert "not unspent" in (verify_statement(statement, chain[1:]).reason or "")
    late = [{**chain[0], "height": HEIGHT + 3}, *chain[1:]]
    assert "not confirmed at height" in (verify_statement(statement, late).reason or "")
    other = {"height": HEIGHT + 1, "block_hash": BLOCK, "utxos": chain}
    assert "chain data is for height" in (verify_statement(statement, other).reason or "")


def test_the_statement_signature_is_a_standard_bip322_proof_of_funds() -> None:
    from biplomacy.reserve.bip322 import message as bip322

    statement, _ = _statement()
    message = signed_message(statement["message"], statement["wallet"], HEIGHT, BLOCK)
    r = bip322.verify(statement["address"], message, statement["signature"])
    assert r.valid and r.format == "proof_of_funds", r
    other = signed_message(statement["message"], statement["wallet"], HEIGHT + 1, BLOCK)
    assert bip322.verify(statement["address"], other, statement["signature"]).valid is False
