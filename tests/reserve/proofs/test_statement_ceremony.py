"""The reserve statement ceremony on the rehearsal chain through the CLI: 3-of-5 signers, offline verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, select

from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import funded_treasury, ok, write

PROOF_TABLES = ("reserve_statements", "reserve_statement_signatures", "reserve_ledger", "audit_log")


def snapshot(db_url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the statement tables, the ledger and the audit log, to prove a refusal changed nothing."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = MetaData()
    meta.reflect(engine, only=[t for t in PROOF_TABLES])
    with engine.connect() as conn:
        out = {t: sorted(tuple(map(str, r)) for r in conn.execute(select(meta.tables[t]))) for t in PROOF_TABLES}
    engine.dispose()
    return out


MESSAGE = "Strategic Bitcoin Reserve of Pakistan: holdings statement, Q4 2026"


def _signed_statement(cli: Any, tmp_path: Path, signers: list[Signer], descriptor: str, cold: str) -> dict[str, Any]:
    funded_treasury(cli, descriptor, cold)
    second = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", second, "0.25", "--source", "donation", "--json"))
    ok(cli("reserve", "chain", "mine", "2", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    built = ok(cli("reserve", "statement", "build", "treasury", "--message", MESSAGE, "--json"))
    assert (built["total_btc"], built["utxos"], built["threshold"], built["state"]) == ("1.75", 2, 3, "collecting")
    for k, signer in enumerate(signers[:3]):
        result = ok(cli("reserve", "statement", "submit", built["id"], "--psbt",
                        write(tmp_path, f"st{k}.psbt", signer.sign(built["psbt"])), "--json"))
        assert result["accepted"], result["reason"]
    return dict(built)


def test_three_of_five_statement_ceremony_verifies_offline_from_the_exported_files(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    built = _signed_statement(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
    final = ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    assert final["state"] == "final"
    assert sorted(final["signers"]) == sorted(s.fingerprint for s in signers[:3])
    ok(cli("reserve", "chain", "mine", "1", "--json"))  # the chain moves on; the statement speaks for its snapshot
    ok(cli("reserve", "statement", "show", built["id"], "--out", str(tmp_path / "statement.json"), "--json"))
    ok(cli("reserve", "statement", "chain-data", "--out", str(tmp_path / "chain.json"), "--json"))

    check = ok(cli("reserve", "verify-statement", str(tmp_path / "statement.json"),
                   "--chain-data", str(tmp_path / "chain.json"), "--json"))
    assert check["valid"] is True, check["reason"]
    assert (check["total_btc"], check["height"], check["utxos"]) == ("1.75", 3, 2) == ("1.75", built["height"], 2)
    assert sorted(check["signers"]) == sorted(s.fingerprint for s in signers[:3])
    statement = json.loads((tmp_path / "statement.json").read_text())
    assert statement["signature"].startswith("pof")


def test_an_edited_statement_file_is_reported_invalid_with_exit_0(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str, cold_descriptor: str) -> None:
    built = _signed_statement(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
    ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    ok(cli("reserve", "statement", "show", built["id"], "--out", str(tmp_path / "statement.json"), "--json"))
    ok(cli("reserve", "statement", "chain-data", "--out", str(tmp_path / "chain.json"), "--json"))
    statement = json.loads((tmp_path / "statement.json").read_text())
    edits = {"total_sats": ("total_sats", statement["total_sats"] * 10), "height": ("height", statement["height"] - 1),
             "message": ("message", MESSAGE.replace("Q4", "Q1"))}
    for _, (field, value) in edits.items():
        path = write(tmp_path, f"edited-{field}.json", json.dumps({**statement, field: value}))
        check = ok(cli("reserve", "verify-statement", path, "--chain-data", str(tmp_path / "chain.json"), "--json"))
        assert check["valid"] is False and check["reason"]


def test_an_unreadable_statement_file_exits_2(cli_nodb: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", "{not json")
    assert cli_nodb("reserve", "verify-statement", path, "--json").exit_code == 2
    assert cli_nodb("reserve", "verify-statement", str(tmp_path / "missing.json"), "--json").exit_code == 2


def test_a_psbt_for_another_statement_is_refused_and_changes_nothing(
        cli: Any, db_url: str, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    built = _signed_statement(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
    other = ok(cli("reserve", "statement", "build", "treasury", "--message", "another statement", "--json"))
    before = snapshot(db_url)
    wrong = ok(cli("reserve", "statement", "submit", other["id"], "--psbt",
                   write(tmp_path, "wrong.psbt", signers[3].sign(built["psbt"])), "--json"))
    assert wrong["accepted"] is False and "another statement" in wrong["reason"]
    refused = cli("reserve", "statement", "finalize", other["id"], "--json")
    assert refused.exit_code == 2 and "not ready" in refused.stderr
    assert snapshot(db_url) == before
