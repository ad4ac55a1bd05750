"""Every JSON document the reserve answers with (CLI --json and /api/v1/reserve/*) keeps its keys and value types.

The golden file was written from the reserve before its use cases returned typed records (issue #12); a
change to a key, its order or its value's type shows up here as a diff of the shape, not a passing test.
Refresh it only for a deliberate change of the published format: BIPLOMACY_WRITE_GOLDEN=1 pytest this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from biplomacy.core.config import Settings
from biplomacy.web.app import create_app
from tests.reserve.custody.conftest import Signer
from tests.reserve.custody.test_ceremony import ok, write
from tests.sessions import sign_in

GOLDEN = Path(__file__).parent / "golden" / "reserve-json-shapes.json"


def shape(value: Any) -> Any:
    """Keys in order with the shape of their values; a list by its first item; a scalar by its JSON type."""
    if isinstance(value, dict):
        return [[k, shape(v)] for k, v in value.items()]
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return {bool: "bool", int: "int", float: "float", str: "str", type(None): "null"}[type(value)]


def _cli_documents(cli: Any, tmp_path: Path, signers: list[Signer], treasury: str, cold: str) -> dict[str, Any]:
    docs: dict[str, Any] = {}

    def run(key: str, *args: str) -> Any:
        docs[key] = ok(cli(*args, "--json"))
        return docs[key]

    run("wallet add", "reserve", "wallet", "add", "treasury", "--descriptor", treasury)
    run("wallet add (public)", "reserve", "wallet", "add", "cold", "--descriptor", cold, "--public-addresses",
        "--policy", "us-eo-no-sale")
    run("wallet list", "reserve", "wallet", "list")
    run("wallet backup-sheet", "reserve", "wallet", "backup-sheet", "treasury", "--signer", signers[0].fingerprint,
        "--out", str(tmp_path / "sheet.txt"))
    first = run("address", "reserve", "address", "treasury")["address"]
    txid = run("chain fund", "reserve", "chain", "fund", first, "1.5", "--source", "seizure")["txid"]
    second = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", second, "0.25", "--source", "purchase", "--json"))
    run("chain mine", "reserve", "chain", "mine", "1")
    run("sync", "reserve", "sync", "treasury")
    cold_address = ok(cli("reserve", "address", "cold", "--json"))["address"]
    run("ledger classify", "reserve", "ledger", "classify", "treasury", f"{txid}:0", "--source", "seizure",
        "--zone", "Sindh-1", "--cost-basis-usd", "6500.00")
    run("ledger show (no prices)", "reserve", "ledger", "show")
    run("prices import", "reserve", "prices", "import")
    run("ledger show", "reserve", "ledger", "show", "treasury")

    proposal = run("spend propose", "reserve", "spend", "propose", "treasury", "--to", cold_address, "--amount",
                   "1", "--purpose", "to cold storage")
    pid = proposal["id"]
    signed = [write(tmp_path, f"s{k}.psbt", s.sign(proposal["psbt"])) for k, s in enumerate(signers[:3])]
    run("spend submit (accepted)", "reserve", "spend", "submit", pid, "--psbt", signed[0])
    run("spend submit (refused)", "reserve", "spend", "submit", pid, "--psbt", signed[0])
    run("spend status", "reserve", "spend", "status", pid)
    for path in signed[1:]:
        ok(cli("reserve", "spend", "submit", pid, "--psbt", path, "--json"))
    run("spend broadcast", "reserve", "spend", "broadcast", pid)
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    other = ok(cli("reserve", "spend", "propose", "treasury", "--to", cold_address, "--amount", "0.1",
                   "--purpose", "second", "--json"))
    run("spend cancel", "reserve", "spend", "cancel", other["id"], "--reason", "not needed")
    run("spend submit (closed)", "reserve", "spend", "submit", other["id"], "--psbt",
        write(tmp_path, "late.psbt", signers[0].sign(other["psbt"])))

    late = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", late, "0.5", "--source", "donation", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    run("chain reorg", "reserve", "chain", "reorg", "1")
    run("chain reorg (to mempool)", "reserve", "chain", "reorg", "1", "--to-mempool")
    run("sync (after reorg)", "reserve", "sync", "treasury")
    ok(cli("reserve", "chain", "mine", "2", "--json"))
    run("chain tip", "reserve", "chain", "tip")
    ok(cli("reserve", "sync", "treasury", "--json"))

    built = run("statement build", "reserve", "statement", "build", "treasury", "--message", "statement")
    sid = built["id"]
    run("statement submit", "reserve", "statement", "submit", sid, "--psbt",
        write(tmp_path, "st0.psbt", signers[0].sign(built["psbt"])))
    for k, s in enumerate(signers[1:3], start=1):
        ok(cli("reserve", "statement", "submit", sid, "--psbt", write(tmp_path, f"st{k}.psbt", s.sign(built["psbt"])),
               "--json"))
    run("statement status", "reserve", "statement", "status", sid)
    run("statement finalize", "reserve", "statement", "finalize", sid)
    run("statement show", "reserve", "statement", "show", sid)
    run("statement chain-data", "reserve", "statement", "chain-data")
    run("statement show --out", "reserve", "statement", "show", sid, "--out", str(tmp_path / "statement.json"))
    docs["ids"] = {"proposal": pid, "statement": sid}
    return docs


def _api_documents(settings: Settings, ids: dict[str, str], signer: Signer) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    with TestClient(create_app(settings)) as portal:
        docs["GET /reserve/holdings"] = portal.get("/api/v1/reserve/holdings").json()
        docs["GET /reserve/wallets"] = portal.get("/api/v1/reserve/wallets").json()
        docs["GET /reserve/statements/latest"] = portal.get("/api/v1/reserve/statements/latest").json()
        sid, pid = ids["statement"], ids["proposal"]
        docs["GET /reserve/statements/{id}"] = portal.get(f"/api/v1/reserve/statements/{sid}").json()
        docs["GET /reserve/statements/{id}/status"] = portal.get(f"/api/v1/reserve/statements/{sid}/status").json()
        docs["GET /reserve/spends/{id} (403)"] = portal.get(f"/api/v1/reserve/spends/{pid}").json()
        sign_in(portal, "sbp-signer", "signer")
        docs["GET /reserve/spends/{id} (404)"] = portal.get("/api/v1/reserve/spends/sp-none").json()
        docs["GET /reserve/spends/{id}"] = portal.get(f"/api/v1/reserve/spends/{pid}").json()
        unsigned = portal.get(f"/api/v1/reserve/statements/{sid}/psbt").text
        docs["POST /reserve/statements/{id}/signatures (final)"] = portal.post(
            f"/api/v1/reserve/statements/{sid}/signatures", content=signer.sign(unsigned)).json()
        docs["POST /reserve/spends/{id}/signatures (422)"] = portal.post(
            f"/api/v1/reserve/spends/{pid}/signatures", content=b"not a psbt").json()
    return docs


def test_every_reserve_json_document_keeps_its_keys_and_value_types(
        cli: Any, settings: Settings, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,
        cold_descriptor: str) -> None:
    docs = _cli_documents(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
    docs.update(_api_documents(settings, docs.pop("ids"), signers[4]))
    shapes = {key: shape(doc) for key, doc in docs.items()}
    if os.environ.get("BIPLOMACY_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(shapes, indent=1) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert list(shapes) == list(golden)
    for key in golden:
        assert shapes[key] == golden[key], key
