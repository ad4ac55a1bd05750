"""The JSON the supervision commands print keeps its keys, their order and their value types (the contract the
typed results must not change): dates and Decimals as strings, amounts in base units as integers."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.supervision.test_licensing_service import application
from tests.supervision.test_returns_schema import good_return

LICENCE = ["id", "reference", "legal_name", "commercial_name", "lei", "address", "country", "website", "activities",
           "state", "state_since", "authorised_on", "ended_on", "conditions", "fictional", "checklist",
           "overdue_since", "final", "sandbox", "history"]
EVENT = ["at", "actor", "from", "to", "reason", "conditions"]
ENTRY = ["reference", "legal_name", "commercial_name", "lei", "address", "country", "website", "activities",
         "status", "authorised_on", "ended_on", "conditions", "last_update", "sandbox", "solvency_ratio",
         "fictional", "stablecoin", "history"]
VERDICT = ["issuer", "token", "as_of", "currency", "compliant", "breaches", "backing_ratio", "outstanding",
           "outstanding_by_chain", "reserves_total", "liquid_share", "rules", "sources"]
COVERAGE = ["liabilities", "reserves", "proven_reserves", "ratio", "covered"]


def ok(cli: Cli, *args: str) -> Any:
    r = cli(*args, "--json")
    assert r.exit_code == 0, r.stderr
    return r.json


def test_licence_sandbox_and_register_documents(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text(json.dumps(application()))
    ref = ok(cli, "supervise", "licence", "apply", str(tmp_path / "app.json"))["reference"]
    ok(cli, "supervise", "licence", "transition", ref, "--to", "under_review", "--reason", "complete")
    shown = ok(cli, "supervise", "licence", "transition", ref, "--to", "approved_with_conditions", "--reason", "fit",
               "--condition", "cold storage")
    assert list(shown) == LICENCE and list(shown["history"][-1]) == EVENT
    assert shown["authorised_on"] == shown["state_since"][:10] and shown["conditions"] == ["cold storage"]
    assert shown["history"][0]["from"] == "" and shown["history"][-1]["conditions"] == ["cold storage"]
    assert list(shown["checklist"][0]) == ["document", "provided"]
    made = ok(cli, "supervise", "sandbox", "create", "Cohort A", "--starts", "2025-01-01", "--expires", "2025-12-31")
    assert list(made) == ["id", "name", "starts_on", "expires_on", "conditions"] and made["starts_on"] == "2025-01-01"
    admitted = ok(cli, "supervise", "sandbox", "admit", ref, "--cohort", "Cohort A")
    assert admitted["sandbox"] == {"cohort": "Cohort A", "expires_on": "2025-12-31", "conditions": []}
    (cohort,) = ok(cli, "supervise", "sandbox", "list")["cohorts"]
    assert list(cohort) == ["id", "name", "starts_on", "expires_on", "conditions", "members", "expired", "days_left"]
    assert list(ok(cli, "supervise", "licence", "list")["licences"][0]) == LICENCE
    assert ok(cli, "supervise", "register", "load-demo") == {"licences": 6, "warnings": 2, "returns": 3, "cohorts": 1}
    warned = ok(cli, "supervise", "register", "warn", "BadCoin", "--details", "no licence")
    assert list(warned) == ["id", "name", "kind", "published_on"]
    view = ok(cli, "supervise", "register", "show", "--as-of", "2025-12-01")
    assert list(view) == ["authority", "as_of", "query", "entities", "warnings", "sources"]
    assert all(list(e) == ENTRY for e in view["entities"])
    assert list(view["entities"][0]["history"][0]) == ["on", "status", "reason", "conditions"]
    assert list(view["warnings"][0]) == ["name", "website", "kind", "details", "published_on", "fictional"]


def test_returns_stablecoin_and_solvency_documents(cli: Cli, tmp_path: Path) -> None:
    ok(cli, "supervise", "register", "load-demo")
    refs = {e["commercial_name"]: e["reference"] for e in ok(cli, "supervise", "register", "show")["entities"]}
    (tmp_path / "r.json").write_text(json.dumps({**good_return(), "licence": refs["IndusX"], "period": "2025-Q4",
                                                 "reporting_date": "2026-01-05", "incidents": []}))
    filed = ok(cli, "supervise", "returns", "file", str(tmp_path / "r.json"))
    assert list(filed) == ["licence", "period", "filed_at", "due_on", "late", "coverage"]
    assert filed["coverage"] == {"BTC": {"client_assets": 1000000, "reserves": 1100000, "ratio": "1.1000"}}
    missing = ok(cli, "supervise", "returns", "missing", "--period", "2025-Q3")
    assert list(missing) == ["period", "due_on", "missing", "late", "sources"] and missing["due_on"] == "2025-10-30"
    assert list(missing["missing"][0]) == ["licence", "legal_name", "due_on", "overdue", "days_overdue"]
    assert list(missing["late"][0]) == ["licence", "legal_name", "due_on", "filed_at", "days_late"]
    attestation = resources.files("biplomacy") / "data" / "aml" / "stablecoin-attestation-example.json"
    (tmp_path / "a.json").write_text(attestation.read_text(encoding="utf-8"))
    checked = ok(cli, "supervise", "stablecoin", "check", str(tmp_path / "a.json"))
    assert list(checked) == VERDICT and checked["backing_ratio"] == "1.010000"
    assert checked["outstanding"] == "100000000.000000" and checked["liquid_share"] == "0.3168"
    recorded = ok(cli, "supervise", "stablecoin", "check", str(tmp_path / "a.json"), "--licence", refs["mPKR"])
    assert list(recorded) == ["licence", "recorded_at", *VERDICT] and recorded["licence"] == refs["mPKR"]
    (tmp_path / "l.csv").write_text("user_id,asset,balance\nalice,BTC,100\nbob,BTC,250\nalice,ETH,7\n")
    built = ok(cli, "supervise", "solvency", "build", "--liabilities", str(tmp_path / "l.csv"), "--out",
               str(tmp_path / "por"), "--snapshot-height", "900000")
    assert list(built) == ["root", "totals", "users", "assets", "units", "depth", "snapshot", "root_file",
                           "proofs_dir"]
    assert built["snapshot"]["height"] == 900000 and built["root_file"] == str(tmp_path / "por" / "root.json")
    root = str(tmp_path / "por" / "root.json")
    valid = ok(cli, "supervise", "solvency", "verify", "--proof", str(tmp_path / "por" / "proofs" / "bob.json"),
               "--root", root)
    assert list(valid) == ["valid", "reason", "user_id", "balances", "root", "snapshot"] and valid["reason"] is None
    (tmp_path / "bad.json").write_text(json.dumps({**json.loads((tmp_path / "por" / "proofs" / "bob.json")
                                                               .read_text()), "balances": [1, 0]}))
    assert ok(cli, "supervise", "solvency", "verify", "--proof", str(tmp_path / "bad.json"), "--root", root).keys() \
        == {"valid", "reason"}
    (tmp_path / "res.csv").write_text("asset,address,balance\nBTC,bc1qa,300\nETH,0xabc,0\n")
    report = ok(cli, "supervise", "solvency", "reserves", "--root", root, "--reserves", str(tmp_path / "res.csv"),
                "--licence", refs["IndusX"])
    assert list(report) == ["licence", "recorded_at", "root", "snapshot", "assets", "solvent", "holdings"]
    assert report["assets"]["BTC"] == dict(zip(COVERAGE, [350, 300, 0, "0.857142", False], strict=True))
    assert report["assets"]["ETH"]["ratio"] == "0.000000"
    assert list(report["holdings"][0]) == ["asset", "address", "balance", "ownership", "reason"]
