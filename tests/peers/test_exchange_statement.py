"""A bundle's signed reserve statement: exported once one is final, marked a rehearsal when its coins are on the
rehearsal chain, and checked on import by its own signatures. A statement altered and re-signed by the issuer, or
a rehearsal statement presented as a national one, is refused by name even though the bundle's signature holds."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from biplomacy.peers.keys import load_key
from biplomacy.peers.model.bundle import canonical, content_hash
from biplomacy.reserve.model.statement import verify_statement
from tests.reserve.custody.conftest import Signer, cold_descriptor, signers, treasury_descriptor  # noqa: F401
from tests.reserve.proofs.test_statement_ceremony import _signed_statement


def ok(r: Any) -> Any:
    assert r.exit_code == 0, r.stderr
    return r.json


def resigned(bundle: dict[str, Any], key_file: Path, part: str, content: dict[str, Any]) -> str:
    """The bundle with `part` replaced and the manifest re-hashed and re-signed by the issuer's own key."""
    doc = json.loads(json.dumps(bundle))
    doc["parts"][part] = content
    entry = next(p for p in doc["manifest"]["parts"] if p["name"] == part)
    entry["sha256"] = content_hash(content)
    doc["signature"]["value"] = base64.b64encode(load_key(key_file).sign(canonical(doc["manifest"]))).decode()
    return json.dumps(doc)


def test_a_final_statement_travels_in_the_bundle_and_is_verified_on_import(
        cli: Any, tmp_path: Path, signers: list[Signer], treasury_descriptor: str,  # noqa: F811
        cold_descriptor: str) -> None:  # noqa: F811
    built = _signed_statement(cli, tmp_path, signers, treasury_descriptor, cold_descriptor)
    ok(cli("reserve", "statement", "finalize", built["id"], "--json"))
    key, out = tmp_path / "office.key", tmp_path / "office.bundle"
    public = ok(cli("peers", "key", "new", "--out", str(key), "--json"))["public_key"]
    made = ok(cli("peers", "bundle", "export", "--key", str(key), "--out", str(out), "--json"))
    assert "reserve-statement" not in made["left_out"] and "reserve-statement" in {p["name"] for p in made["parts"]}

    bundle = json.loads(out.read_text(encoding="utf-8"))
    part = bundle["parts"]["reserve-statement"]
    assert part["rehearsal"] is True and part["statement"]["network"] == "regtest"
    assert verify_statement(part["statement"]).total_sats == 175_000_000
    check = ok(cli("peers", "bundle", "verify", str(out), "--trust", public, "--json"))
    assert check["valid"] is True and check["problems"] == []

    inflated = json.loads(json.dumps(part))
    inflated["statement"]["utxos"][0]["sats"] += 10**8
    inflated["statement"]["total_sats"] += 10**8
    forged = tmp_path / "inflated.bundle"
    forged.write_text(resigned(bundle, key, "reserve-statement", inflated), encoding="utf-8")
    refused = cli("peers", "bundle", "verify", str(forged), "--trust", public, "--json")
    problems = {p["code"]: p for p in refused.json["problems"]}
    assert refused.json["valid"] is False and "statement-invalid" in problems, refused.json
    assert problems["statement-invalid"]["path"] == "parts.reserve-statement.statement"

    unmarked = dict(part, rehearsal=False)
    forged.write_text(resigned(bundle, key, "reserve-statement", unmarked), encoding="utf-8")
    refused = cli("peers", "bundle", "verify", str(forged), "--trust", public, "--json")
    assert [p["code"] for p in refused.json["problems"]] == ["rehearsal-as-real"], refused.json
    imported = cli("peers", "bundle", "import", str(forged), "--trust", public, "--adopt", "reserve-statement")
    assert imported.exit_code == 2 and "rehearsal-as-real" in imported.stderr
