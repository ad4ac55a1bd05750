"""Travel-rule exchange between licensed VASPs (TRP-like): inquiry, inbox, approve or reject, all audited."""

import copy
import json

from sqlalchemy import func, select

from biplomacy.adapters.store.tables.aml import TravelRuleMessageRow
from biplomacy.adapters.store.tables.core import AuditRow
from biplomacy.adapters.store.tables.supervision import LicenceRow
from biplomacy.permissions import LOCAL_ADMIN
from biplomacy.services import users
from biplomacy.services.supervision_demo import load_demo_register
from tests.supervision_aml.test_travel_rule import GOOD
from tests.web.conftest import app_client  # noqa: F401

ENVELOPE = {"ivms101": GOOD, "transfer": {"amount": "1500.00", "currency": "USD"}}


def vasps(store):
    """Two licensed VASPs of the demo register and one that is on it but not licensed."""
    load_demo_register(store)
    with store.read() as s:
        rows = s.scalars(select(LicenceRow).order_by(LicenceRow.id)).all()
        licensed = [r.reference for r in rows if r.state in ("approved", "approved_with_conditions")]
        other = next(r.reference for r in rows if r.state not in ("approved", "approved_with_conditions"))
    return licensed[0], licensed[1], other


def counts(store):
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(TravelRuleMessageRow)),
                s.scalar(select(func.count()).select_from(AuditRow)))


def audit_actions(store):
    with store.read() as s:
        return [(a.action, a.subject) for a in s.scalars(select(AuditRow).order_by(AuditRow.seq))]


def write(tmp_path, doc, name="transfer.json"):
    f = tmp_path / name
    f.write_text(json.dumps(doc), encoding="utf-8")
    return str(f)


def test_send_then_approve_reaches_the_inbox_and_the_audit_log(cli, store, tmp_path):
    a, b, _ = vasps(store)
    r = cli("supervise", "travel-rule", "send", "--from", a, "--to", b, write(tmp_path, ENVELOPE), "--json")
    assert r.exit_code == 0, r.stderr
    sent = r.json
    assert sent["state"] == "pending" and sent["above_threshold"] is True and sent["amount_usd"] == "1500.00"
    assert sent["payload"] == ENVELOPE

    box = cli("supervise", "travel-rule", "inbox", b, "--json").json
    assert [m["id"] for m in box["pending"]] == [sent["id"]]
    assert cli("supervise", "travel-rule", "inbox", a, "--json").json["pending"] == []

    r = cli("supervise", "travel-rule", "approve", str(sent["id"]), "--reason", "data complete", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["state"] == "approved" and r.json["reason"] == "data complete"
    assert cli("supervise", "travel-rule", "inbox", b, "--json").json["pending"] == []
    subject = f"travel-rule message {sent['id']}"
    assert [x for x in audit_actions(store) if x[1] == subject] == [("travelrule.send", subject),
                                                                      ("travelrule.approve", subject)]


def test_an_unlicensed_vasp_is_refused_by_name_and_nothing_is_stored(cli, store, tmp_path):
    a, _, unlicensed = vasps(store)
    before = counts(store)
    f = write(tmp_path, ENVELOPE)
    r = cli("supervise", "travel-rule", "send", "--from", a, "--to", unlicensed, f, "--json")
    assert r.exit_code == 2 and "beneficiary VASP" in r.stderr and unlicensed in r.stderr
    r = cli("supervise", "travel-rule", "send", "--from", "PVARA-0000-0000", "--to", a, f, "--json")
    assert r.exit_code == 2 and "originator VASP" in r.stderr and "not in the register" in r.stderr
    assert counts(store) == before


def test_an_invalid_payload_is_refused_with_its_paths_and_nothing_is_stored(cli, store, tmp_path):
    a, b, _ = vasps(store)
    doc = copy.deepcopy(ENVELOPE)
    doc["ivms101"]["beneficiary"]["beneficiaryPersons"][0]["naturalPerson"]["countryOfResidence"] = "XZ"
    doc["transfer"]["amount"] = "-5"
    before = counts(store)
    r = cli("supervise", "travel-rule", "send", "--from", a, "--to", b, write(tmp_path, doc), "--json")
    assert r.exit_code == 2
    assert "ivms101.beneficiary.beneficiaryPersons[0].naturalPerson.countryOfResidence" in r.stderr
    assert "transfer.amount" in r.stderr
    assert counts(store) == before


def test_a_message_is_decided_only_once(cli, store, tmp_path):
    a, b, _ = vasps(store)
    sent = cli("supervise", "travel-rule", "send", "--from", a, "--to", b, write(tmp_path, ENVELOPE), "--json").json
    r = cli("supervise", "travel-rule", "reject", str(sent["id"]), "--reason", "beneficiary name does not match")
    assert r.exit_code == 0, r.stderr
    before = counts(store)
    r = cli("supervise", "travel-rule", "approve", str(sent["id"]), "--reason", "second thoughts")
    assert r.exit_code == 2 and "already rejected" in r.stderr
    assert cli("supervise", "travel-rule", "reject", "999999", "--reason", "x").exit_code == 2
    assert counts(store) == before


def test_http_round_trip_send_inbox_approve(app_client):  # noqa: F811
    store = app_client.app.state.store
    a, b, unlicensed = vasps(store)
    h = {"Accept": "application/json"}
    anonymous = app_client.post("/api/v1/travel-rule/transfers", headers=h,
                                json={"originator_vasp": a, "beneficiary_vasp": b, "payload": ENVELOPE})
    assert anonymous.status_code == 403
    users.add_user(store, LOCAL_ADMIN, "sup", "supervisor")
    h["Authorization"] = "Bearer " + users.issue_token(store, LOCAL_ADMIN, "sup")[1]
    r = app_client.post("/api/v1/travel-rule/transfers", headers=h,
                        json={"originator_vasp": a, "beneficiary_vasp": b, "payload": ENVELOPE})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    box = app_client.get(f"/api/v1/travel-rule/inbox/{b}", headers=h).json()
    assert [m["id"] for m in box["pending"]] == [mid] and box["pending"][0]["payload"] == ENVELOPE
    r = app_client.post(f"/api/v1/travel-rule/transfers/{mid}/approve", headers=h, json={"reason": "ok"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = app_client.post(f"/api/v1/travel-rule/transfers/{mid}/reject", headers=h, json={"reason": "late"})
    assert r.status_code == 422 and "already approved" in r.json()["detail"]

    before = counts(store)
    r = app_client.post("/api/v1/travel-rule/transfers", headers=h, json={"originator_vasp": a, "payload": ENVELOPE})
    assert r.status_code == 422 and r.json()["field"] == "body.beneficiary_vasp"
    r = app_client.post("/api/v1/travel-rule/transfers", headers=h,
                        json={"originator_vasp": a, "beneficiary_vasp": unlicensed, "payload": ENVELOPE})
    assert r.status_code == 422 and r.json()["field"] == "beneficiary_vasp"
    assert counts(store) == before


def test_an_analyst_may_not_send_or_decide(cli, store, tmp_path):
    a, b, _ = vasps(store)
    sent = cli("supervise", "travel-rule", "send", "--from", a, "--to", b, write(tmp_path, ENVELOPE), "--json").json
    users.add_user(store, LOCAL_ADMIN, "ana", "analyst")
    before = counts(store)
    r = cli("--as", "ana", "supervise", "travel-rule", "send", "--from", a, "--to", b, write(tmp_path, ENVELOPE))
    assert r.exit_code == 2 and "travelrule.exchange" in r.stderr
    assert cli("--as", "ana", "supervise", "travel-rule", "approve", str(sent["id"]), "--reason", "x").exit_code == 2
    assert counts(store) == before
