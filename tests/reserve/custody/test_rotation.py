"""Signer rotation and refresh through the CLI (issue #14): a signer leaves, the successor wallet is created with
its sweep; the sweep broadcast retires the old wallet, holdings by source carry over, the audit log names who
approved it under which profile. A refresh rolls coins before their recovery path opens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from biplomacy.house.tables import AuditRow
from biplomacy.store.db import Store
from tests.reserve.custody.conftest import Signer, make_signer, multisig
from tests.reserve.custody.recovery_fixtures import TIMELOCK, fund, recovery_descriptor
from tests.reserve.custody.test_ceremony import ok, snapshot, write


def _sign_all(cli: Any, tmp_path: Path, proposal: dict[str, Any], who: list[Signer]) -> dict[str, Any]:
    last: dict[str, Any] = {}
    for k, s in enumerate(who):
        last = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                      write(tmp_path, f"{proposal['id']}-{k}.psbt", s.sign(proposal["psbt"])), "--json"))
        assert last["accepted"], last["reason"]
    return last


def test_a_signer_leaves_the_sweep_moves_every_coin_and_the_sources_carry_over(
        cli: Any, db_url: str, tmp_path: Path, store: Store, signers: list[Signer], treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    fund(cli, "treasury", [("1.5", "seizure"), ("0.25", "purchase"), ("0.1", "donation")])
    replaced = [*signers[:4], make_signer("new-custodian")]  # the custodian institution changed
    successor = multisig(3, replaced)

    before = snapshot(db_url)
    same = cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", treasury_descriptor)
    assert same.exit_code == 2 and "the wallet's own" in same.stderr
    assert snapshot(db_url) == before

    started = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", successor,
                     "--json"))
    sweep = started["sweep"]
    assert (started["state"], started["profile"], started["path"], sweep["kind"]) == (
        "sweeping", "pakistan-draft", "primary", "sweep")
    assert ok(cli("reserve", "address", "treasury-2", "--json"))["index"] == 1  # the sweep took 0/0
    refused = cli("reserve", "address", "treasury", "--json")
    assert refused.exit_code == 2 and "being rotated to treasury-2" in refused.stderr
    again = cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-3", "--descriptor", successor)
    assert again.exit_code == 2 and "already being rotated" in again.stderr

    _sign_all(cli, tmp_path, sweep, signers[:3])
    txid = ok(cli("reserve", "spend", "broadcast", sweep["id"], "--json"))["txid"]
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    new = ok(cli("reserve", "sync", "treasury-2", "--json"))
    old = ok(cli("reserve", "sync", "treasury", "--json"))
    assert old["balance_sats"] == 0 and old["unauthorised_spends"] == []  # the sweep was an approved proposal
    assert new["balance_sats"] == 185_000_000 - sweep["fee_sats"]  # every coin, less the fee: none lost

    ledger = ok(cli("reserve", "ledger", "show", "--json"))
    by_source = {s["source"]: s["sats"] for s in ledger["by_source"]}
    assert set(by_source) == {"seizure", "purchase", "donation"} and sum(by_source.values()) == new["balance_sats"]
    assert 150_000_000 - sweep["fee_sats"] < by_source["seizure"] <= 150_000_000
    receipt = next(e for e in ledger["entries"] if e["wallet"] == "treasury-2")
    assert (receipt["txid"], receipt["source"]) == (txid, "rotation")
    classify = cli("reserve", "ledger", "classify", "treasury-2", f"{txid}:0", "--source", "purchase")
    assert classify.exit_code == 2 and "keeps the sources" in classify.stderr

    shown = ok(cli("reserve", "wallet", "show", "treasury", "--json"))
    assert shown["state"] == "retired" and shown["successor"]["wallet"] == "treasury-2"
    assert shown["successor"]["txid"] == txid
    after = ok(cli("reserve", "wallet", "show", "treasury-2", "--json"))
    assert after["state"] == "active" and [p["wallet"] for p in after["predecessors"]] == ["treasury"]

    with store.read() as session:
        done = session.scalars(select(AuditRow).where(AuditRow.action == "reserve.wallet.rotation.complete")).one()
        payload = json.loads(done.payload) if isinstance(done.payload, str) else done.payload
    assert payload["profile"] == "pakistan-draft" and payload["txid"] == txid
    assert payload["approved_by"] == [s.fingerprint for s in signers[:3]]
    assert sum(payload["carried_sources"].values()) == new["balance_sats"]


def test_a_recovery_rotation_waits_for_every_coin_and_an_empty_wallet_rotates_at_once(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], cold_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers), "--json"))
    first, _ = fund(cli, "treasury", [("1", "seizure")])
    ok(cli("reserve", "chain", "mine", "5", "--json"))
    second, _ = fund(cli, "treasury", [("0.5", "mining")])
    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 6), "--json"))  # the first coin is open, the second not
    tip = second + TIMELOCK - 6
    assert first + TIMELOCK - 1 <= tip < second + TIMELOCK - 1
    before = snapshot(db_url)
    early = cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", cold_descriptor,
                "--path", "recovery")
    assert early.exit_code == 2 and "1 of the 2 coins to move are not that old yet" in early.stderr
    left = second + TIMELOCK - 1 - tip
    assert f"the last opens in {left} blocks (at block {second + TIMELOCK - 1}; the tip is {tip})" in early.stderr
    assert snapshot(db_url) == before
    ok(cli("reserve", "chain", "mine", str(left), "--json"))
    started = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor",
                     cold_descriptor, "--path", "recovery", "--json"))
    assert started["sweep"]["path"] == "recovery" and started["sweep"]["threshold"] == 2

    ok(cli("reserve", "wallet", "add", "empty", "--descriptor", multisig(2, signers[:3]), "--json"))
    at_once = ok(cli("reserve", "wallet", "rotate", "empty", "--to", "empty-2", "--descriptor",
                     multisig(2, signers[1:4]), "--json"))
    assert at_once["state"] == "complete" and at_once["sweep"] is None


def test_refresh_rolls_the_coins_near_their_recovery_path_and_show_warns_before(
        cli: Any, tmp_path: Path, signers: list[Signer]) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", recovery_descriptor(signers), "--json"))
    height, _ = fund(cli, "treasury", [("1", "seizure"), ("0.5", "purchase")])
    calm = ok(cli("reserve", "wallet", "show", "treasury", "--within", "5", "--json"))
    assert calm["warnings"] == [] and all(c["blocks_left"] == TIMELOCK - 1 for c in calm["coins"])
    nothing = cli("reserve", "spend", "refresh", "treasury", "--within", "5")
    assert nothing.exit_code == 2 and "nothing to refresh" in nothing.stderr
    ok(cli("reserve", "chain", "mine", str(TIMELOCK - 5), "--json"))
    warned = ok(cli("reserve", "wallet", "show", "treasury", "--within", "5", "--json"))
    assert len(warned["warnings"]) == 1 and "2 coin(s) (1.5 BTC) reach the recovery path within 5 blocks" in \
        warned["warnings"][0]
    assert warned["coins"][0]["opens_at"] == height + TIMELOCK - 1 and warned["coins"][0]["warn"]

    refresh = ok(cli("reserve", "spend", "refresh", "treasury", "--within", "5", "--json"))
    assert (refresh["kind"], refresh["path"], refresh["threshold"]) == ("refresh", "primary", 3)
    _sign_all(cli, tmp_path, refresh, signers[2:5])
    ok(cli("reserve", "spend", "broadcast", refresh["id"], "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    synced = ok(cli("reserve", "sync", "treasury", "--json"))
    assert synced["balance_sats"] == 150_000_000 - refresh["fee_sats"]
    shown = ok(cli("reserve", "wallet", "show", "treasury", "--within", "5", "--json"))
    assert shown["warnings"] == [] and [c["blocks_left"] for c in shown["coins"]] == [TIMELOCK - 1]
    by_source = {s["source"]: s["sats"] for s in ok(cli("reserve", "ledger", "show", "--json"))["by_source"]}
    assert set(by_source) == {"seizure", "purchase"} and sum(by_source.values()) == synced["balance_sats"]


def test_a_cancelled_sweep_cancels_the_rotation_and_the_old_wallet_is_active_again(
        cli: Any, signers: list[Signer], treasury_descriptor: str) -> None:
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    fund(cli, "treasury", [("1", "seizure")])
    successor = multisig(3, [*signers[:4], make_signer("new-custodian")])
    started = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", successor,
                     "--json"))
    assert ok(cli("reserve", "wallet", "show", "treasury", "--json"))["state"] == "rotating"
    ok(cli("reserve", "spend", "cancel", started["sweep"]["id"], "--reason", "the new custodian's key was not "
           "checked against its backup sheet", "--json"))
    shown = ok(cli("reserve", "wallet", "show", "treasury", "--json"))
    assert shown["state"] == "active" and shown["successor"] is None and shown["warnings"] == []
    assert ok(cli("reserve", "address", "treasury", "--json"))["address"]  # it hands out addresses again
    again = ok(cli("reserve", "wallet", "rotate", "treasury", "--to", "treasury-2", "--descriptor", successor,
                   "--json"))  # the successor is taken again (it holds nothing)
    assert again["state"] == "sweeping" and again["sweep"]["amount_btc"] == started["sweep"]["amount_btc"]
