"""The rehearsal ceremony of JOURNEYS step 3, end to end through the CLI: 3-of-5, a seizure, a spend to cold storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import MetaData, create_engine, select

from tests.reserve.custody.conftest import Signer

RESERVE_TABLES = ("reserve_wallets", "reserve_addresses", "reserve_ledger", "reserve_spend_proposals",
                  "reserve_spend_signatures", "reserve_prices", "rehearsal_blocks", "rehearsal_txs", "rehearsal_outputs")


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the custody tables (and the audit log), to prove a refusal changed nothing."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name in (*RESERVE_TABLES, "audit_log"):
            if name in meta.tables:
                out[name] = sorted(tuple(map(str, r)) for r in conn.execute(select(meta.tables[name])))
    engine.dispose()
    return out


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result.json


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def funded_treasury(cli: Any, treasury_descriptor: str, cold_descriptor: str) -> tuple[str, str]:
    """Import the 3-of-5 treasury and a cold wallet, fund the treasury with a seizure, mine, sync."""
    added = ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    assert (added["threshold"], len(added["signers"])) == (3, 5)
    ok(cli("reserve", "wallet", "add", "cold", "--descriptor", cold_descriptor, "--json"))
    address = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1.5", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "treasury", "--json"))["balance_btc"] == "1.5"
    cold = ok(cli("reserve", "address", "cold", "--json"))["address"]
    return address, cold


def test_three_of_five_spend_to_cold_storage_broadcasts_at_the_third_valid_signature(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1",
                      "--purpose", "move seized coins to cold storage", "--json"))
    second = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", second, "0.2", "--source", "donation", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    other = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.1",
                   "--purpose", "a second, different spend", "--json"))
    pid = proposal["id"]

    for k, signer in enumerate(signers[:2]):
        result = ok(cli("reserve", "spend", "submit", pid, "--psbt",
                        write(tmp_path, f"s{k}.psbt", signer.sign(proposal["psbt"])), "--json"))
        assert result["accepted"] and not result["ready"]

    before = snapshot(db_url)
    wrong = ok(cli("reserve", "spend", "submit", pid, "--psbt",
                   write(tmp_path, "wrong.psbt", signers[2].sign(other["psbt"])), "--json"))
    assert wrong["accepted"] is False
    assert "another wallet or proposal" in wrong["reason"]
    assert snapshot(db_url) == before
    refused = cli("reserve", "spend", "broadcast", pid, "--json")
    assert refused.exit_code == 2 and "not ready" in refused.stderr

    third = ok(cli("reserve", "spend", "submit", pid, "--psbt",
                   write(tmp_path, "s2.psbt", signers[2].sign(proposal["psbt"])), "--json"))
    assert third["accepted"] and third["ready"]
    status = ok(cli("reserve", "spend", "status", pid, "--json"))
    assert status["threshold"] == 3
    assert sorted(status["valid_signers"]) == sorted(s.fingerprint for s in signers[:3])
    assert status["ready"] is True

    txid = ok(cli("reserve", "spend", "broadcast", pid, "--json"))["txid"]
    assert len(txid) == 64
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "cold", "--json"))["balance_btc"] == "1"
    treasury = ok(cli("reserve", "sync", "treasury", "--json"))
    assert treasury["balance_sats"] == 170_000_000 - 100_000_000 - proposal["fee_sats"]


def test_proposal_psbt_carries_what_a_hardware_wallet_needs(cli: Any, signers: list[Signer],
                                                             treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.5",
                      "--purpose", "test", "--fee-rate", "5", "--json"))
    psbt = PSBT.from_base64(proposal["psbt"])
    for scope in psbt.inputs:
        assert scope.witness_script is not None and scope.witness_utxo is not None
        assert scope.non_witness_utxo is not None
        assert {d.fingerprint.hex() for d in scope.bip32_derivations.values()} == {s.fingerprint for s in signers}
    change = [o for o in psbt.outputs if o.bip32_derivations]
    assert len(change) == 1 and change[0].witness_script is not None
    assert psbt.fee() == proposal["fee_sats"] and psbt.fee() >= 5 * 200


def test_duplicate_signer_and_outside_key_are_refused_and_change_nothing(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    from tests.reserve.custody.conftest import make_signer

    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.3",
                      "--purpose", "test", "--json"))
    signed = write(tmp_path, "a.psbt", signers[0].sign(proposal["psbt"]))
    assert ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", signed, "--json"))["accepted"]
    before = snapshot(db_url)
    again = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", signed, "--json"))
    assert again["accepted"] is False and "duplicate signer" in again["reason"]

    outsider = make_signer("outsider")
    psbt = PSBT.from_base64(proposal["psbt"])
    for scope in psbt.inputs:  # a device that pretends to be a signer: its own key at the same path
        for der in list(scope.bip32_derivations.values())[:1]:
            scope.bip32_derivations[outsider.root.derive(der.derivation).key.get_public_key()] = \
                type(der)(outsider.root.my_fingerprint, der.derivation)
    psbt.sign_with(outsider.root)
    foreign = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                     write(tmp_path, "o.psbt", psbt.to_base64()), "--json"))
    assert foreign["accepted"] is False and "outside" in foreign["reason"]

    corrupted = PSBT.from_base64(signers[1].sign(proposal["psbt"]))
    for scope in corrupted.inputs:
        for pub, sig in scope.partial_sigs.items():
            scope.partial_sigs[pub] = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
    bad = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                 write(tmp_path, "c.psbt", corrupted.to_base64()), "--json"))
    assert bad["accepted"] is False and "does not verify" in bad["reason"]

    tampered = PSBT.from_base64(signers[1].sign(proposal["psbt"]))
    tampered.outputs[0].value -= 1000  # same coins, more fee: not the approved spend
    changed = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt",
                     write(tmp_path, "t.psbt", tampered.to_base64()), "--json"))
    assert changed["accepted"] is False and "outputs or fee differ" in changed["reason"]
    assert snapshot(db_url) == before


def add_user(db_url: str, name: str, role: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from biplomacy.house.tables import UserRow

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session, session.begin():
        session.add(UserRow(name=name, role=role, institution="", password_hash="", active=True,
                            created_at=datetime.now(UTC)))
    engine.dispose()


def test_a_signer_uploads_their_own_psbt_but_an_analyst_may_not_propose(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    add_user(db_url, "sbp-signer", "signer")
    add_user(db_url, "analyst", "analyst")
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.2",
                      "--purpose", "test", "--json"))
    signed = write(tmp_path, "s.psbt", signers[1].sign(proposal["psbt"]))
    assert ok(cli("--as", "sbp-signer", "reserve", "spend", "submit", proposal["id"], "--psbt", signed,
                  "--json"))["accepted"]
    denied = cli("--as", "analyst", "reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.1",
                 "--purpose", "x", "--json")
    assert denied.exit_code == 2 and "may not" in denied.stderr
    assert cli("--as", "sbp-signer", "reserve", "spend", "broadcast", proposal["id"], "--json").exit_code == 2


def test_cancelling_a_proposal_frees_its_coins_and_refuses_further_signatures(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    first = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "a",
                   "--json"))
    blocked = cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "b", "--json")
    assert blocked.exit_code == 2  # the only coin is locked by the first proposal
    assert ok(cli("reserve", "spend", "cancel", first["id"], "--reason", "wrong amount", "--json"))["state"] == \
        "cancelled"
    late = ok(cli("reserve", "spend", "submit", first["id"], "--psbt",
                  write(tmp_path, "late.psbt", signers[0].sign(first["psbt"])), "--json"))
    assert late["accepted"] is False and "cancelled" in late["reason"]
    ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1", "--purpose", "b", "--json"))
