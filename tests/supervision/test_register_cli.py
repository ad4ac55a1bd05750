"""The register, returns and licence commands end to end on both databases, with the fictional demo data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import Cli
from tests.supervision.test_licensing_service import application


def test_register_export_csv_as_of_dates_shows_the_demo_history(cli: Cli) -> None:
    assert cli("supervise", "register", "load-demo", "--json").exit_code == 0
    r = cli("supervise", "register", "export", "--format", "csv", "--as-of", "2025-09-01")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and list(rows[0])[:3] == ["ae_competentAuthority", "ae_homeMemberState", "ae_lei_name"]
    assert {row["pv_fictional"] for row in rows} == {"true"}
    assert "Karakoram Brokerage (Pvt) Ltd" not in {row["ae_lei_name"] for row in rows}  # approved 2025-09-10
    later = {row["ae_lei_name"]: row for row in csv.DictReader(io.StringIO(
        cli("supervise", "register", "export", "--format", "csv", "--as-of", "2025-12-01").stdout))}
    assert later["Karakoram Brokerage (Pvt) Ltd"]["pv_status"] == "suspended"
    assert later["Thar Lending Ltd"]["ac_authorisationEndDate"] == "2025-11-01"
    shown = cli("supervise", "register", "show", "--as-of", "2025-12-01", "--json").json
    assert len(shown["warnings"]) == 2 and shown["sources"]


def test_export_to_a_file_and_as_json(cli: Cli, tmp_path: Path) -> None:
    cli("supervise", "register", "load-demo")
    out = tmp_path / "reg.json"
    assert cli("supervise", "register", "export", "--format", "json", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["authority"].startswith("Pakistan Virtual Assets")
    assert cli("supervise", "register", "export", "--format", "xml").exit_code == 2


def test_returns_missing_and_late_for_a_period(cli: Cli) -> None:
    cli("supervise", "register", "load-demo")
    r = cli("supervise", "returns", "missing", "--period", "2025-Q3", "--json")
    assert r.exit_code == 0, r.stderr
    assert {m["legal_name"] for m in r.json["missing"]} == {"Margalla Stable PKR Ltd", "Thar Lending Ltd"}
    assert [m["legal_name"] for m in r.json["late"]] == ["Karakoram Brokerage (Pvt) Ltd"]
    assert cli("supervise", "returns", "missing", "--period", "2025-13").exit_code == 2


def test_a_return_failing_its_schema_is_exit_2_with_every_path_and_nothing_stored(cli: Cli, tmp_path: Path) -> None:
    cli("supervise", "register", "load-demo")
    before = cli("supervise", "returns", "missing", "--period", "2025-Q3", "--json").json
    bad = {"schema_version": "1", "licence": "PVARA-2025-9004", "period": "2025-Q3", "reporting_date": "2025-10-02",
           "client_assets": [{"asset": "BTC", "unit": "sat", "amount": "-1", "clients": 3}], "onchain_reserves": [],
           "volumes": {"currency": "PKR", "spot": "1.5"}, "accounts": {"total": 1, "active": 1, "opened": 0,
                                                                        "closed": 0},
           "complaints": {"received": 0, "resolved": 0, "open": 0}, "incidents": []}
    f = tmp_path / "r.json"
    f.write_text(json.dumps(bad))
    r = cli("supervise", "returns", "file", str(f), "--json")
    assert r.exit_code == 2 and "client_assets[0].amount" in r.stderr and "volumes" in r.stderr
    assert cli("supervise", "returns", "missing", "--period", "2025-Q3", "--json").json == before
    bad["client_assets"][0]["amount"] = "5"
    bad["volumes"]["trades"] = 0
    f.write_text(json.dumps(bad))
    r = cli("supervise", "returns", "file", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["late"] is True
    assert "Margalla Stable PKR Ltd" not in {m["legal_name"] for m in
                                            cli("supervise", "returns", "missing", "--period", "2025-Q3",
                                                "--json").json["missing"]}


def test_licence_apply_transition_show_and_refusals(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "app.json"
    f.write_text(json.dumps(application()))
    r = cli("supervise", "licence", "apply", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    ref = r.json["reference"]
    wrong = cli("supervise", "licence", "transition", ref, "--to", "approved", "--reason", "skip", "--json")
    assert wrong.exit_code == 2 and "cannot move" in wrong.stderr and wrong.stdout == ""
    ok = cli("supervise", "licence", "transition", ref, "--to", "under_review", "--reason", "complete", "--json")
    assert ok.exit_code == 0 and ok.json["state"] == "under_review"
    shown = cli("supervise", "licence", "show", ref, "--json").json
    assert [h["to"] for h in shown["history"]] == ["draft", "submitted", "under_review"]
    f.write_text("{not json")
    assert cli("supervise", "licence", "apply", str(f)).exit_code == 2


def test_the_demo_step_loads_the_register_and_publishes_a_verifiable_proof(store, settings) -> None:  # type: ignore[no-untyped-def]
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.supervision.demo import demo_step
    from biplomacy.supervision.register import register_view

    result = demo_step(store, settings, LOCAL_ADMIN)
    assert "valid=True" in " ".join(result.lines)
    indusx = next(e for e in register_view(store).entities if e.identity.commercial_name == "IndusX")
    assert indusx.solvency_ratio is not None and indusx.fictional is True
    mpkr = next(e for e in register_view(store).entities if e.identity.commercial_name == "mPKR")
    (verdict,) = mpkr.stablecoin
    assert verdict["token"] == "mPKR" and verdict["backing_ratio"] == "1.005000" and not verdict["compliant"]
    assert [b["rule"] for b in verdict["breaches"]] == ["maturity"]
    assert "mPKR attestation: backing ratio 1.005000, breaches maturity" in result.lines


def test_reserves_from_the_rehearsal_chain_cover_the_liabilities(cli: Cli, tmp_path: Path) -> None:
    address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    assert cli("reserve", "chain", "fund", address, "0.5", "--json").exit_code == 0
    assert cli("reserve", "chain", "mine", "1", "--json").exit_code == 0
    (tmp_path / "l.csv").write_text("user_id,asset,balance\nalice,BTC,30000000\nbob,BTC,10000000\n")
    assert cli("supervise", "solvency", "build", "--liabilities", str(tmp_path / "l.csv"), "--out",
               str(tmp_path / "por"), "--json").exit_code == 0
    (tmp_path / "r.csv").write_text(f"asset,address\nBTC,{address}\n")
    r = cli("supervise", "solvency", "reserves", "--root", str(tmp_path / "por" / "root.json"), "--reserves",
            str(tmp_path / "r.csv"), "--from-chain", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["assets"]["BTC"] == {"liabilities": 40_000_000, "reserves": 50_000_000, "proven_reserves": 0,
                                       "ratio": "1.250000", "covered": True}


def test_a_sandbox_cohort_takes_members_until_it_expires(cli: Cli, tmp_path: Path) -> None:
    f = tmp_path / "app.json"
    f.write_text(json.dumps(application()))
    ref = cli("supervise", "licence", "apply", str(f), "--json").json["reference"]
    made = cli("supervise", "sandbox", "create", "Cohort A", "--starts", "2025-01-01", "--expires", "2025-12-31",
               "--condition", "at most 5,000 clients", "--json")
    assert made.exit_code == 0, made.stderr
    admitted = cli("supervise", "sandbox", "admit", ref, "--cohort", "Cohort A", "--json").json
    assert admitted["sandbox"]["cohort"] == "Cohort A"
    cohort = cli("supervise", "sandbox", "list", "--json").json["cohorts"][0]
    assert cohort["members"] == [ref] and cohort["expired"] is True  # the clock is past 2025
    bad = cli("supervise", "sandbox", "create", "Cohort B", "--starts", "2026-01-01", "--expires", "2025-01-01")
    assert bad.exit_code == 2 and "expires" in bad.stderr
    assert cli("supervise", "sandbox", "create", "Cohort A", "--starts", "2025-01-01", "--expires",
               "2026-01-01").exit_code == 2
