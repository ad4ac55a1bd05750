"""`supervise solvency build/verify/reserves`: contract shapes and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "user_id,asset,balance\nalice,BTC,100\nbob,BTC,250\nalice,ETH,7\ncarol@example.pk,BTC,0\n"


def test_build_prints_root_totals_users_and_writes_one_proof_per_user(cli_nodb: Cli, tmp_path: Path) -> None:
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "l.csv", GOOD)),
                 "--out", str(tmp_path / "out"), "--snapshot-height", "900000", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json
    assert len(doc["root"]) == 64 and doc["totals"] == {"BTC": 350, "ETH": 7} and doc["users"] == 3
    root = json.loads((tmp_path / "out" / "root.json").read_text())
    assert root["root"] == doc["root"] and root["snapshot"]["height"] == 900000
    proofs = sorted(p.name for p in (tmp_path / "out" / "proofs").iterdir())
    assert len(proofs) == 3 and "alice.json" in proofs
    v = cli_nodb("supervise", "solvency", "verify", "--proof", str(tmp_path / "out" / "proofs" / "alice.json"),
                 "--root", str(tmp_path / "out" / "root.json"), "--json")
    assert v.exit_code == 0 and v.json["valid"] is True and v.json["balances"] == {"BTC": 100, "ETH": 7}


@pytest.mark.parametrize(("text", "needle"), [
    ("user_id,asset,balance\na,BTC,-5\n", "row 2.balance"),
    ("user_id,asset,balance\na,BTC,1.5\n", "row 2.balance"),
    ("user_id,asset,balance\na,BTC,18446744073709551616\n", "2^64"),
    ("user_id,asset,balance\na,BTC,1\nb,BTC,2\na,BTC,3\n", "row 4: duplicate user and asset (a, BTC)"),
    ("user_id,balance\na,1\n", "missing column(s) asset"),
])
def test_bad_liabilities_exit_2_naming_the_row_and_write_nothing(cli_nodb: Cli, tmp_path: Path, text: str,
                                                                  needle: str) -> None:
    r = cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "bad.csv", text)),
                 "--out", str(tmp_path / "out"), "--json")
    assert r.exit_code == 2 and needle in r.stderr and r.stdout == ""
    assert not (tmp_path / "out").exists()


def test_an_edited_proof_is_invalid_with_a_reason_and_exit_0(cli_nodb: Cli, tmp_path: Path) -> None:
    cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "l.csv", GOOD)),
             "--out", str(tmp_path / "out"), "--json")
    proof = json.loads((tmp_path / "out" / "proofs" / "bob.json").read_text())
    proof["balances"] = [2500]
    r = cli_nodb("supervise", "solvency", "verify", "--proof", str(write(tmp_path / "p.json", json.dumps(proof))),
                 "--root", str(tmp_path / "out" / "root.json"), "--json")
    assert r.exit_code == 0 and r.json["valid"] is False and r.json["reason"]


def test_a_proof_against_another_snapshots_root_is_invalid(cli_nodb: Cli, tmp_path: Path) -> None:
    for name in ("a", "b"):
        cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "l.csv", GOOD)),
                 "--out", str(tmp_path / name), "--json")
    r = cli_nodb("supervise", "solvency", "verify", "--proof", str(tmp_path / "a" / "proofs" / "bob.json"),
                 "--root", str(tmp_path / "b" / "root.json"), "--json")
    assert r.exit_code == 0 and r.json["valid"] is False and "another snapshot" in r.json["reason"]


def test_an_unreadable_proof_file_is_exit_2(cli_nodb: Cli, tmp_path: Path) -> None:
    cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "l.csv", GOOD)),
             "--out", str(tmp_path / "out"), "--json")
    for proof in (tmp_path / "missing.json", write(tmp_path / "junk.json", "{not json")):
        r = cli_nodb("supervise", "solvency", "verify", "--proof", str(proof), "--root",
                     str(tmp_path / "out" / "root.json"), "--json")
        assert r.exit_code == 2 and r.stdout == ""


def test_reserves_report_the_solvency_ratio_per_asset(cli_nodb: Cli, tmp_path: Path) -> None:
    cli_nodb("supervise", "solvency", "build", "--liabilities", str(write(tmp_path / "l.csv", GOOD)),
             "--out", str(tmp_path / "out"), "--json")
    reserves = write(tmp_path / "r.csv", "asset,address,balance\nBTC,bc1qa,300\nBTC,bc1qb,400\nETH,0xabc,7\n")
    r = cli_nodb("supervise", "solvency", "reserves", "--root", str(tmp_path / "out" / "root.json"),
                 "--reserves", str(reserves), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["assets"]["BTC"]["ratio"] == "2.000000" and r.json["assets"]["ETH"]["covered"] is True
    assert r.json["solvent"] is True
    bad = write(tmp_path / "r2.csv", "asset,address,balance\nBTC,bc1qa,-3\n")
    r = cli_nodb("supervise", "solvency", "reserves", "--root", str(tmp_path / "out" / "root.json"),
                 "--reserves", str(bad), "--json")
    assert r.exit_code == 2 and "row 2.balance" in r.stderr


def test_a_reserve_address_balance_is_its_unspent_outputs_at_the_snapshot_height() -> None:
    from biplomacy.core.ports import ChainOutput, ChainTx
    from biplomacy.supervision.model.solvency_reserves import address_balance

    a = "bc1qreserve"
    history = [
        ChainTx("f1", 100, (ChainOutput(0, a, 50_000), ChainOutput(1, "bc1qother", 7)), ()),
        ChainTx("f2", 105, (ChainOutput(0, a, 20_000),), ()),
        ChainTx("s1", 110, (ChainOutput(0, "bc1qcold", 49_000),), (("f1", 0),)),
        ChainTx("m1", None, (ChainOutput(0, a, 1),), ()),
    ]
    assert address_balance(a, history, 104) == 50_000
    assert address_balance(a, history, 109) == 70_000
    assert address_balance(a, history) == 20_000
