"""Stablecoin issuers' attestations recorded against their licence: verdict and breaches (rule, figures) in the
register (JSON, CSV, portal) and on the supervisor's returns dashboard; bad input stores nothing."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from biplomacy.core.errors import InputError, PermissionDenied
from biplomacy.core.permissions import Actor
from biplomacy.store.db import Store
from biplomacy.supervision.demo import load_demo_register
from biplomacy.supervision.register import register_csv, register_view
from biplomacy.supervision.results import Dashboard, RegisterEntry
from biplomacy.supervision.returns import dashboard, dashboard_charts
from biplomacy.supervision.stablecoin import record_attestation
from biplomacy.supervision.tables import StablecoinAttestationRow
from tests.conftest import Cli

EXAMPLE: dict[str, Any] = json.loads((resources.files("biplomacy") / "data" / "aml" /
                                      "stablecoin-attestation-example.json").read_text(encoding="utf-8"))
SUPERVISOR = Actor("officer", "supervisor")


def short_of_backing() -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    doc["as_of"] = "2025-12-31"
    doc["reserves"][2]["amount"] = "50000000.00"  # 96 m eligible against 100 m outstanding
    return doc


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def reference(store: Store, commercial_name: str) -> str:
    view = register_view(store, as_of=date(2025, 12, 1))
    return next(e.reference for e in view.entities if e.identity.commercial_name == commercial_name)


def attestations(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(StablecoinAttestationRow)) or 0)


def recorded(store: Store, tmp_path: Path) -> str:
    """mPKR (licensed 2025-09-25) files a compliant attestation in October and a short one in January."""
    load_demo_register(store)
    ref = reference(store, "mPKR")
    record_attestation(store, SUPERVISOR, ref, write(tmp_path, "oct.json", EXAMPLE),
                       now=datetime(2025, 10, 15, 9, tzinfo=UTC))
    record_attestation(store, SUPERVISOR, ref, write(tmp_path, "jan.json", short_of_backing()),
                       now=datetime(2026, 1, 20, 9, tzinfo=UTC))
    return ref


def test_the_register_shows_the_latest_verdict_as_of_each_date(store: Store, tmp_path: Path) -> None:
    ref = recorded(store, tmp_path)

    def entry(day: date) -> RegisterEntry:
        return next(e for e in register_view(store, as_of=day).entities if e.reference == ref)

    assert entry(date(2025, 10, 1)).stablecoin == ()
    october = entry(date(2025, 12, 1)).stablecoin
    assert [(v["token"], v["compliant"], v["backing_ratio"], v["breaches"]) for v in october] == \
        [("XPKR", True, "1.010000", [])]
    (january,) = entry(date(2026, 2, 1)).stablecoin
    assert not january["compliant"] and january["backing_ratio"] == "0.960000"
    assert january["recorded_on"] == "2026-01-20" and january["as_of"] == "2025-12-31"
    backing = next(b for b in january["breaches"] if b["rule"] == "one_to_one_backing")
    assert "96.0000%" in backing["message"] and "short by 4,000,000.00 USD" in backing["message"]
    others = [e for e in register_view(store, as_of=date(2026, 2, 1)).entities if e.reference != ref]
    assert others and all(e.stablecoin == () for e in others)


def test_the_register_csv_has_a_stablecoin_reserves_column(store: Store, tmp_path: Path) -> None:
    ref = recorded(store, tmp_path)
    rows = {r["pv_reference"]: r for r in csv.DictReader(io.StringIO(register_csv(store, as_of=date(2026, 2, 1))))}
    assert rows[ref]["pv_stablecoin_reserves"] == \
        "XPKR as of 2025-12-31: breaches one_to_one_backing; backing ratio 0.960000"
    assert {r["pv_stablecoin_reserves"] for k, r in rows.items() if k != ref} == {""}
    before = {r["pv_reference"]: r for r in csv.DictReader(io.StringIO(register_csv(store, as_of=date(2025, 12, 1))))}
    assert before[ref]["pv_stablecoin_reserves"] == "XPKR as of 2025-09-30: compliant; backing ratio 1.010000"


def test_the_dashboard_lists_attestations_and_charts_the_latest_backing_ratio(store: Store, tmp_path: Path) -> None:
    ref = recorded(store, tmp_path)
    data = dashboard(store)
    assert [(a.licence, a.as_of, a.verdict) for a in data.stablecoins] == \
        [(ref, "2025-09-30", "compliant"), (ref, "2025-12-31", "1 breach(es)")]
    assert data.stablecoins[1].backing_ratio == Decimal("0.960000")
    assert "one_to_one_backing: eligible reserves cover 96.0000%" in data.stablecoins[1].breaches_text
    spec = dashboard_charts(data)["stablecoin_backing"]
    marks = {layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"] for layer in spec["layer"]}
    assert marks == {"bar", "text", "rule"}
    bars = next(layer for layer in spec["layer"] if "issuer" in json.dumps(layer.get("data", spec.get("data"))))
    values = bars.get("data", spec.get("data"))["values"]
    assert [(v["issuer"], v["ratio"]) for v in values] == [("mPKR (XPKR)", 0.96)]
    assert "stablecoin_backing" not in dashboard_charts(Dashboard((), (), ()))


def test_bad_attestations_wrong_licences_and_roles_store_nothing(store: Store, tmp_path: Path) -> None:
    load_demo_register(store)
    mpkr, indusx = reference(store, "mPKR"), reference(store, "IndusX")
    good = write(tmp_path, "good.json", EXAMPLE)
    bad = copy.deepcopy(EXAMPLE)
    bad["reserves"][0]["amount"] = "-5"
    with pytest.raises(InputError, match=r"reserves\[0\].amount"):
        record_attestation(store, SUPERVISOR, mpkr, write(tmp_path, "bad.json", bad))
    with pytest.raises(InputError, match="not licensed for stablecoin issuance"):
        record_attestation(store, SUPERVISOR, indusx, good)
    with pytest.raises(InputError, match="no licence"):
        record_attestation(store, SUPERVISOR, "PVARA-2025-0000", good)
    with pytest.raises(InputError, match="no such file"):
        record_attestation(store, SUPERVISOR, mpkr, tmp_path / "missing.json")
    with pytest.raises(PermissionDenied):
        record_attestation(store, Actor("someone", "public"), mpkr, good)
    assert attestations(store) == 0


def test_cli_records_an_attestation_against_a_licence(cli: Cli, tmp_path: Path) -> None:
    assert cli("supervise", "register", "load-demo", "--json").exit_code == 0
    shown = cli("supervise", "register", "show", "--json").json
    ref = next(e["reference"] for e in shown["entities"] if e["commercial_name"] == "mPKR")
    r = cli("supervise", "stablecoin", "check", str(write(tmp_path, "a.json", short_of_backing())),
            "--licence", ref, "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["licence"] == ref and not r.json["compliant"]
    after = cli("supervise", "register", "show", "--json").json
    (verdict,) = next(e for e in after["entities"] if e["reference"] == ref)["stablecoin"]
    assert verdict["backing_ratio"] == "0.960000"
    other = next(e["reference"] for e in shown["entities"] if e["commercial_name"] == "IndusX")
    refused = cli("supervise", "stablecoin", "check", str(tmp_path / "a.json"), "--licence", other, "--json")
    assert refused.exit_code == 2 and "stablecoin issuance" in refused.stderr


def test_portal_entity_page_register_and_dashboard_show_the_breaches(app_client: TestClient,
                                                                     tmp_path: Path) -> None:
    from tests.sessions import sign_in

    store = app_client.app.state.store  # type: ignore[attr-defined]
    ref = recorded(store, tmp_path)
    page = app_client.get(f"/supervision/register/{ref}", params={"as_of": "2026-02-01"})
    assert page.status_code == 200
    assert "Stablecoin reserves" in page.text and "one_to_one_backing" in page.text and "0.960000" in page.text
    assert "short by 4,000,000.00 USD" in page.text
    listing = app_client.get("/supervision/register", params={"as_of": "2026-02-01"})
    assert "XPKR: " in listing.text and "1 breach" in listing.text
    api = app_client.get("/api/v1/supervision/register", params={"as_of": "2026-02-01"}).json()
    assert next(e for e in api["entities"] if e["reference"] == ref)["stablecoin"][0]["compliant"] is False
    sign_in(app_client, SUPERVISOR.name, SUPERVISOR.role)
    board = app_client.get("/supervision/dashboard")
    assert board.status_code == 200
    assert "Stablecoin issuers" in board.text and "stablecoin-backing" in board.text
    assert "one_to_one_backing: eligible reserves cover 96.0000%" in board.text


def test_api_records_an_attestation_for_supervisors_only_and_refuses_bad_ones(app_client: TestClient) -> None:
    from tests.sessions import sign_in

    store = app_client.app.state.store  # type: ignore[attr-defined]
    load_demo_register(store)
    mpkr, indusx = reference(store, "mPKR"), reference(store, "IndusX")
    url = "/api/v1/supervision/stablecoin/attestations"
    assert app_client.post(url, json={"licence": mpkr, "attestation": EXAMPLE}).status_code in {401, 403}
    assert app_client.get("/api/v1/supervision/dashboard").status_code in {401, 403}
    sign_in(app_client, "officer", "supervisor")
    bad = copy.deepcopy(EXAMPLE)
    bad["reserves"][0]["amount"] = "1.234"
    r = app_client.post(url, json={"licence": mpkr, "attestation": bad})
    assert r.status_code == 422 and "reserves[0].amount" in r.text and "decimals" in r.text
    r = app_client.post(url, json={"licence": indusx, "attestation": EXAMPLE})
    assert 400 <= r.status_code < 500 and "stablecoin issuance" in r.text
    assert app_client.post(url, json={"licence": mpkr, "attestation": EXAMPLE, "x": 1}).status_code == 422
    assert app_client.post(url, json={"licence": mpkr}).status_code == 422
    assert attestations(store) == 0
    r = app_client.post(url, json={"licence": mpkr.lower(), "attestation": short_of_backing()})
    assert r.status_code == 201, r.text
    assert r.json()["licence"] == mpkr and r.json()["backing_ratio"] == "0.960000" and not r.json()["compliant"]
    board = app_client.get("/api/v1/supervision/dashboard").json()
    assert [(a["licence"], a["verdict"]) for a in board["stablecoins"]] == [(mpkr, "1 breach(es)")]
    entry = next(e for e in app_client.get("/api/v1/supervision/register").json()["entities"] if e["reference"] == mpkr)
    assert entry["stablecoin"][0]["breaches"][0]["rule"] == "one_to_one_backing"
