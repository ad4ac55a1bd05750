"""Journey 10 from the terminal: El Salvador's Bitcoin Office exports a signed bundle; PVARA, on another
installation (its own database), verifies it against the Office's published key, reads the diff, adopts the AML
rules only, and the audit log records it. An altered, a wrongly signed and an expired bundle are refused by name,
changing nothing."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from biplomacy.house import audit
from biplomacy.supervision.demo import load_demo_register
from tests.peers.conftest import Installation


def ok(r: Any) -> Any:
    assert r.exit_code == 0, r.stderr
    return r.json


def audit_entries(site: Installation) -> list[audit.AuditEntry]:
    store = site.store()
    try:
        with store.read() as s:
            return list(audit.entries(s))
    finally:
        store.dispose()


def export(sv: Installation) -> tuple[Path, str]:
    store = sv.store()
    load_demo_register(store)  # the Office's side has register entries PVARA lacks
    store.dispose()
    key = sv.folder / "office.key"
    public = ok(sv.cli("peers", "key", "new", "--out", str(key), "--json"))["public_key"]
    assert public.startswith("ed25519:") and oct(key.stat().st_mode & 0o777) == "0o600"
    bundle = sv.folder / "office.bundle"
    made = ok(sv.cli("peers", "bundle", "export", "--key", str(key), "--out", str(bundle), "--program",
                     "National Bitcoin Office", "--country", "SV", "--bundle-version", "2025.11", "--json"))
    assert made["issuer"] == {"program": "National Bitcoin Office", "country": "SV", "public_key": public}
    assert {p["name"] for p in made["parts"]} >= {"policy-profiles", "aml-rules", "licensing", "register-extract",
                                                  "energy-scenario", "cited-facts"}
    assert made["left_out"] == ["reserve-statement"]  # no signed statement on this installation yet
    sources = {f["key"] for f in json.loads(bundle.read_text(encoding="utf-8"))["manifest"]["sources"]}
    assert {"peers.sv.reserve_btc", "reserve.policy.pakistan_fx_reserves_usd", "energy.pk.incremental_package_pkr_kwh",
            "supervision.licensing.days_submitted"} <= sources
    return bundle, public


def test_two_installations_exchange_a_bundle_and_adopt_only_the_aml_rules(
        two_installations: tuple[Installation, Installation]) -> None:
    sv, pk = two_installations
    bundle, public = export(sv)
    published = ok(sv.cli("peers", "published", "--json"))
    assert [b["public_key"] for b in published] == [public]

    check = ok(pk.cli("peers", "bundle", "verify", str(bundle), "--trust", public, "--json"))
    assert check["valid"] is True and check["problems"] == []

    diff_only = ok(pk.cli("peers", "bundle", "import", str(bundle), "--trust", public, "--json"))
    parts = {p["name"]: p for p in diff_only["parts"]}
    assert diff_only["adopted"] == [] and audit_entries(pk) == []  # reading the diff changes nothing
    register = parts["register-extract"]
    assert register["changes_total"] > 0 and {c["change"] for c in register["changes"]} == {"added"}
    assert parts["aml-rules"]["changes_total"] == 0  # same thresholds here (the issuer's scores are not compared)

    adopted = ok(pk.cli("peers", "bundle", "import", str(bundle), "--trust", public, "--adopt", "aml-rules", "--json"))
    assert adopted["adopted"] == ["aml-rules"]
    entries = audit_entries(pk)
    assert [e.action for e in entries] == ["peers.bundle.adopt"]
    payload = json.loads(entries[0].payload)
    assert payload["bundle_sha256"] == check["sha256"] and payload["part"] == "aml-rules"
    assert payload["public_key"] == public and payload["issuer"] == "National Bitcoin Office"

    again = ok(pk.cli("peers", "bundle", "import", str(bundle), "--trust", public, "--adopt", "aml-rules", "--json"))
    assert again["adopted"] == [] and len(audit_entries(pk)) == 1
    assert next(p for p in again["parts"] if p["name"] == "aml-rules")["already_adopted"] is True

    listed = ok(pk.cli("peers", "adopted", "--json"))
    assert [(a["part"], a["country"], a["bundle_sha256"]) for a in listed] == [("aml-rules", "SV", check["sha256"])]
    target = pk.folder / "adopted-thresholds.toml"
    ok(pk.cli("peers", "adopted", str(listed[0]["id"]), "--out", str(target), "--json"))
    shipped = (resources.files("biplomacy") / "data" / "aml" / "thresholds-v2.toml").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == shipped
    assert ok(pk.cli("audit", "verify", "--json"))["valid"] is True


def test_an_altered_a_wrongly_signed_an_unsigned_and_an_expired_bundle_are_refused_changing_nothing(
        two_installations: tuple[Installation, Installation]) -> None:
    sv, pk = two_installations
    bundle, public = export(sv)
    doc = json.loads(bundle.read_text(encoding="utf-8"))

    tampered = pk.folder / "tampered.bundle"
    altered = json.loads(json.dumps(doc))
    altered["parts"]["aml-rules"]["thresholds"]["reporting_threshold"] = 100000.0  # loosened on the way
    tampered.write_text(json.dumps(altered), encoding="utf-8")
    unsigned = pk.folder / "unsigned.bundle"
    stripped = json.loads(json.dumps(doc))
    del stripped["signature"]
    unsigned.write_text(json.dumps(stripped), encoding="utf-8")
    impostor = ok(pk.cli("peers", "key", "new", "--out", str(pk.folder / "impostor.key"), "--json"))["public_key"]

    cases = [(tampered, public, [], "tampered"), (bundle, impostor, [], "wrong-key"),
             (unsigned, public, [], "unsigned"), (bundle, public, ["--at", "2100-01-01T00:00:00+00:00"], "expired")]
    for path, key, extra, code in cases:
        verdict = ok(pk.cli("peers", "bundle", "verify", str(path), "--trust", key, *extra, "--json"))
        assert verdict["valid"] is False and code in {p["code"] for p in verdict["problems"]}, (code, verdict)
        refused = pk.cli("peers", "bundle", "import", str(path), "--trust", key, "--adopt", "aml-rules", *extra)
        assert refused.exit_code == 2 and code in refused.stderr and "nothing was adopted" in refused.stderr
    assert ok(pk.cli("peers", "adopted", "--json")) == [] and audit_entries(pk) == []


def test_bad_input_exits_2_naming_it(two_installations: tuple[Installation, Installation]) -> None:
    sv, pk = two_installations
    bundle, public = export(sv)
    unknown = pk.cli("peers", "bundle", "import", str(bundle), "--trust", public, "--adopt", "tax-rules")
    assert unknown.exit_code == 2 and "no part tax-rules" in unknown.stderr and "aml-rules" in unknown.stderr
    assert pk.cli("peers", "bundle", "verify", str(bundle), "--trust", "not-a-key").exit_code == 2
    assert pk.cli("peers", "bundle", "verify", str(pk.folder / "absent.bundle"), "--trust", public).exit_code == 2
    garbage = pk.folder / "garbage.bundle"
    garbage.write_bytes(b"\xff\xfe not json")
    verdict = ok(pk.cli("peers", "bundle", "verify", str(garbage), "--trust", public, "--json"))
    assert verdict["valid"] is False and verdict["problems"][0]["code"] == "format"
    existing = sv.folder / "office.key"
    again = sv.cli("peers", "key", "new", "--out", str(existing))
    assert again.exit_code == 2 and "never overwritten" in again.stderr
    bad_key = sv.folder / "bad.key"
    bad_key.write_text("not a key", encoding="utf-8")
    refused = sv.cli("peers", "bundle", "export", "--key", str(bad_key), "--out", str(sv.folder / "x.bundle"))
    assert refused.exit_code == 2 and "--key" in refused.stderr and not (sv.folder / "x.bundle").exists()
    assert audit_entries(pk) == []


def test_trust_may_be_the_published_key_file(two_installations: tuple[Installation, Installation]) -> None:
    sv, pk = two_installations
    bundle, public = export(sv)
    key_file = pk.folder / "office.pub"
    key_file.write_text(public + "\n", encoding="utf-8")
    assert ok(pk.cli("peers", "bundle", "verify", str(bundle), "--trust", str(key_file), "--json"))["valid"] is True
