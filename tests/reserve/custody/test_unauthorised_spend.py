"""A policy rule the chain does not enforce (#20): three signers combined their signatures outside the app and
posted the transaction to the rehearsal chain; 120 BTC moved while the proposal said "collecting", and nothing
noticed. The next sync now raises it: an alert, an audit entry, a row on the public reserve page. Also: an
uploaded PSBT is stored without proprietary fields (the probe hid a private key in one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embit.psbt import PSBT
from sqlalchemy import select

from biplomacy.core.config import load_settings
from biplomacy.house.tables import AuditRow
from biplomacy.reserve.model.spend_psbt import combine_and_finalize
from biplomacy.reserve.rehearsal import chain as rehearsal
from biplomacy.reserve.tables import SpendSignatureRow
from biplomacy.store.db import Store, make_engine
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write

SECRET = bytes(range(32))  # what a careless or malicious signer tool hides in a proprietary field


def test_finding_a_spend_signed_outside_the_app_is_caught_at_the_next_sync(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "1",
                      "--purpose", "a large spend under the Pakistan tiers", "--json"))
    signed = [PSBT.from_base64(s.sign(proposal["psbt"])) for s in signers[:3]]
    raw = combine_and_finalize(PSBT.from_base64(proposal["psbt"]), signed)  # what BDK would do, outside the app
    store = Store(make_engine(db_url), db_url)
    try:
        txid = rehearsal.broadcast(store, load_settings({}).network, raw)  # the chain's open POST /tx
    finally:
        store.dispose()
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "spend", "status", proposal["id"], "--json"))["state"] == "collecting"

    synced = ok(cli("reserve", "sync", "treasury", "--json"))
    assert synced["unauthorised_spends"] == [txid]
    again = ok(cli("reserve", "sync", "treasury", "--json"))
    assert again["unauthorised_spends"] == []  # raised once, kept in the audit log
    store = Store(make_engine(db_url), db_url)
    try:
        with store.read() as s:
            entries = s.execute(select(AuditRow.subject).where(AuditRow.action == "reserve.spend.unauthorised")).all()
    finally:
        store.dispose()
    assert entries == [(f"treasury/{txid}",)]


def test_the_public_page_lists_the_unauthorised_spend_and_labels_procedural_rules(
        app_client: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str,
        monkeypatch: Any) -> None:
    page = app_client.get("/reserve")
    assert page.status_code == 200 and "Spends no approved proposal accounts for" in page.text
    assert "None found" in page.text


def test_an_uploaded_psbt_is_stored_without_proprietary_fields(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.5",
                      "--purpose", "cold storage", "--json"))
    psbt = PSBT.from_base64(signers[0].sign(proposal["psbt"]))
    psbt.unknown = {**psbt.unknown, b"\xfc\x05hidden\x00": SECRET}
    psbt.inputs[0].unknown = {**psbt.inputs[0].unknown, b"\xfc\x05hidden\x01": SECRET}
    result = ok(cli("reserve", "spend", "submit", proposal["id"], "--psbt", write(tmp_path, "s.psbt", psbt.to_base64()),
                    "--json"))
    assert result["accepted"]
    store = Store(make_engine(db_url), db_url)
    try:
        with store.read() as s:
            kept = s.scalars(select(SpendSignatureRow.psbt)).one()
            logged = s.scalars(select(AuditRow.payload).where(AuditRow.action.like("reserve.spend.sign%"))).all()
    finally:
        store.dispose()
    stored = PSBT.from_base64(kept)
    assert SECRET not in stored.serialize() and not stored.unknown and not stored.inputs[0].unknown
    assert stored.inputs[0].partial_sigs  # the signature itself is kept
    assert any("proprietary" in p for p in logged)


def test_finding_a_signer_account_is_tied_to_its_keys(cli: Any, tmp_path: Path, signers: list[Signer],
                                                      treasury_descriptor: str, cold_descriptor: str) -> None:
    _, cold = funded_treasury(cli, treasury_descriptor, cold_descriptor)
    proposal = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold, "--amount", "0.5",
                      "--purpose", "cold storage", "--json"))
    ok(cli("users", "add", "mof-officer", "--role", "signer", "--json"))
    assert any(c["name"] == "signer_keys" and not c["ok"] for c in ok(cli("doctor", "--json"))["checks"])
    ok(cli("users", "keys", "mof-officer", "--fingerprint", signers[0].fingerprint, "--json"))
    other = ok(cli("--as", "mof-officer", "reserve", "spend", "submit", proposal["id"], "--psbt",
                   write(tmp_path, "sbp.psbt", signers[1].sign(proposal["psbt"])), "--json"))
    assert other["accepted"] is False and "tied to" in other["reason"]
    own = ok(cli("--as", "mof-officer", "reserve", "spend", "submit", proposal["id"], "--psbt",
                 write(tmp_path, "mof.psbt", signers[0].sign(proposal["psbt"])), "--json"))
    assert own["accepted"] is True
    bad = cli("users", "keys", "mof-officer", "--fingerprint", "xyz")
    assert bad.exit_code == 2 and "--fingerprint" in bad.stderr
