"""Travel-rule exchange between licensed VASPs (TRP-like, addressed by LEI): only a VASP's own users send,
read their inbox and decide; supervisors oversee; every refusal is exit 2 / HTTP 4xx and stores nothing."""

import copy
import json

import pytest
from sqlalchemy import func, select

from biplomacy.aml.tables import TravelRuleMessageRow
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.house.tables import AuditRow
from tests.aml.test_travel_rule import GOOD
from tests.vasps import ADVISER, ALPHA, BETA, SUSPENDED, UNKNOWN_LEI, register_vasps

A, B = ALPHA[1], BETA[1]
IVMS = copy.deepcopy(GOOD)  # the originating VASP named in the payload is Alpha, the sender in these tests
IVMS["originatingVASP"]["originatingVASP"]["legalPerson"]["nationalIdentification"]["nationalIdentifier"] = A
ENVELOPE = {"ivms101": IVMS, "transfer": {"amount": "1500.00", "currency": "USD"}}


def setup(store):
    """The four fictional entities, a vasp user for Alpha and for Beta, a supervisor and an analyst."""
    refs = register_vasps(store)
    users.add_user(store, LOCAL_ADMIN, "alpha", "vasp", lei=A)
    users.add_user(store, LOCAL_ADMIN, "beta", "vasp", lei=B)
    users.add_user(store, LOCAL_ADMIN, "delta", "vasp", lei=ADVISER[1])
    users.add_user(store, LOCAL_ADMIN, "sup", "supervisor")
    users.add_user(store, LOCAL_ADMIN, "ana", "analyst")
    return refs


def counts(store):
    with store.read() as s:
        return (s.scalar(select(func.count()).select_from(TravelRuleMessageRow)),
                s.scalar(select(func.count()).select_from(AuditRow)))


def audit_actions(store):
    with store.read() as s:
        return [(a.action, a.subject, a.actor) for a in s.scalars(select(AuditRow).order_by(AuditRow.seq))]


def write(tmp_path, doc, name="transfer.json"):
    f = tmp_path / name
    f.write_text(json.dumps(doc), encoding="utf-8")
    return str(f)


def send(cli, tmp_path, who="alpha", to=B, doc=ENVELOPE, *extra):
    return cli("--as", who, "supervise", "travel-rule", "send", "--to", to, write(tmp_path, doc), "--json", *extra)


def test_a_vasp_sends_as_itself_the_beneficiary_approves_and_the_history_is_kept(cli, store, tmp_path):
    refs = setup(store)
    r = send(cli, tmp_path)
    assert r.exit_code == 0, r.stderr
    sent = r.json
    assert (sent["originator_lei"], sent["beneficiary_lei"]) == (A, B)
    assert (sent["originator_vasp"], sent["beneficiary_vasp"]) == (refs[A], refs[B])
    assert sent["state"] == "pending" and sent["above_threshold"] is True and sent["amount_usd"] == "1500.00"
    assert sent["payload"] == ENVELOPE and [h["status"] for h in sent["history"]] == ["requested"]

    box = cli("--as", "beta", "supervise", "travel-rule", "inbox", "--json").json
    assert box["lei"] == B and [m["id"] for m in box["pending"]] == [sent["id"]]
    assert box["pending"][0]["payload"] == ENVELOPE
    assert cli("--as", "alpha", "supervise", "travel-rule", "inbox", "--json").json["pending"] == []

    r = cli("--as", "beta", "supervise", "travel-rule", "approve", str(sent["id"]), "--reason", "data complete",
            "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["state"] == "approved" and r.json["reason"] == "data complete"
    assert [(h["status"], h["by"], h.get("reason")) for h in r.json["history"]] == [
        ("requested", "alpha", None), ("approved", "beta", "data complete")]
    assert cli("--as", "beta", "supervise", "travel-rule", "inbox", "--json").json["pending"] == []
    subject = f"travel-rule message {sent['id']}"
    assert [x for x in audit_actions(store) if x[1] == subject] == [("travelrule.send", subject, "alpha"),
                                                                      ("travelrule.approve", subject, "beta")]
    # the supervisor oversees: every message, either VASP's inbox, one message with its payload
    listed = cli("--as", "sup", "supervise", "travel-rule", "list", "--json").json["messages"]
    assert [(m["id"], m["state"]) for m in listed] == [(sent["id"], "approved")]
    assert cli("--as", "sup", "supervise", "travel-rule", "show", str(sent["id"]), "--json").json["payload"] == ENVELOPE
    assert cli("--as", "sup", "supervise", "travel-rule", "inbox", B, "--json").exit_code == 0


@pytest.mark.parametrize(("to", "message"), [
    (SUSPENDED[1], f"beneficiary LEI {SUSPENDED[1]} (Gamma Suspended, PVARA-2026-9103) is not licensed "
                   "(state: suspended)"),
    (UNKNOWN_LEI, f"beneficiary LEI {UNKNOWN_LEI}: no entity of the register has this LEI"),
    (ADVISER[1], "is licensed for advisory only; none allows virtual-asset transfers"),
    ("5493001KJTIIGC8Y1R13", "fails the ISO 17442 check digits"),
    (A, "is the originator itself"),
])
def test_a_beneficiary_that_may_not_receive_transfers_is_refused_with_the_reason(cli, store, tmp_path, to,
                                                                                  message):
    setup(store)
    before = counts(store)
    r = send(cli, tmp_path, to=to)
    assert r.exit_code == 2 and message in r.stderr
    assert counts(store) == before


def test_an_adviser_may_not_send_transfers(cli, store, tmp_path):
    setup(store)
    before = counts(store)
    r = send(cli, tmp_path, who="delta")
    assert r.exit_code == 2 and "originator LEI" in r.stderr and "none allows virtual-asset transfers" in r.stderr
    assert counts(store) == before


def test_a_vasp_may_not_send_as_another_vasp(cli, store, tmp_path):
    setup(store)
    before = counts(store)
    r = send(cli, tmp_path, "alpha", A, ENVELOPE, "--from", B)
    assert r.exit_code == 2 and f"acts only for its own entity (LEI {A})" in r.stderr
    assert counts(store) == before


@pytest.mark.parametrize("who", ["sup", "ana", None])  # None: the local admin
def test_supervisors_admins_and_analysts_neither_send_nor_decide(cli, store, tmp_path, who):
    setup(store)
    mid = send(cli, tmp_path).json["id"]
    before = counts(store)
    as_ = ["--as", who] if who else []
    r = cli(*as_, "supervise", "travel-rule", "send", "--to", B, write(tmp_path, ENVELOPE))
    assert r.exit_code == 2 and "may not travelrule.send; allowed: vasp" in r.stderr
    for verb in ("approve", "reject"):
        r = cli(*as_, "supervise", "travel-rule", verb, str(mid), "--reason", "on their behalf")
        assert r.exit_code == 2 and "may not travelrule.decide; allowed: vasp" in r.stderr
    assert counts(store) == before


def test_a_vasp_reads_and_decides_only_what_is_its_own(cli, store, tmp_path):
    setup(store)
    mid = send(cli, tmp_path).json["id"]  # alpha -> beta
    users.add_user(store, LOCAL_ADMIN, "alpha2", "vasp", lei=A)
    before = counts(store)
    # the originator may read its message but not decide it: it is addressed to Beta
    assert cli("--as", "alpha", "supervise", "travel-rule", "show", str(mid), "--json").exit_code == 0
    r = cli("--as", "alpha", "supervise", "travel-rule", "approve", str(mid), "--reason", "self-serve")
    assert r.exit_code == 2 and f"may decide only messages addressed to its own VASP; travel-rule message {mid} " \
                                f"is addressed to {B}" in r.stderr
    # another VASP's inbox, list or message is refused
    r = cli("--as", "alpha", "supervise", "travel-rule", "inbox", B)
    assert r.exit_code == 2 and "may not read the travel-rule inbox for " + B in r.stderr
    r = cli("--as", "alpha", "supervise", "travel-rule", "list", "--lei", B)
    assert r.exit_code == 2 and "may not read travel-rule messages for " + B in r.stderr
    assert cli("--as", "delta", "supervise", "travel-rule", "show", str(mid)).exit_code == 2
    assert cli("--as", "delta", "supervise", "travel-rule", "list", "--json").json["messages"] == []
    assert counts(store) == before
    # any user bound to Beta decides for Beta
    r = cli("--as", "beta", "supervise", "travel-rule", "reject", str(mid), "--reason", "name does not match")
    assert r.exit_code == 0, r.stderr


def test_a_payload_naming_other_vasps_than_the_message_is_refused(cli, store, tmp_path):
    setup(store)
    doc = copy.deepcopy(ENVELOPE)
    vasp = doc["ivms101"]["originatingVASP"]["originatingVASP"]["legalPerson"]
    vasp["nationalIdentification"]["nationalIdentifier"] = B
    doc["ivms101"]["beneficiaryVASP"]["beneficiaryVASP"]["legalPerson"]["nationalIdentification"] = {
        "nationalIdentifier": ADVISER[1], "nationalIdentifierType": "LEIX"}
    before = counts(store)
    r = send(cli, tmp_path, doc=doc)
    assert r.exit_code == 2
    assert f"ivms101.originatingVASP.originatingVASP.legalPerson.nationalIdentification.nationalIdentifier: " \
           f"names LEI {B}, but the message goes from {A}" in r.stderr
    assert f"names LEI {ADVISER[1]}, but the message goes to {B}" in r.stderr
    assert counts(store) == before
    # naming the right VASPs (or not naming them by LEI at all) is accepted
    vasp["nationalIdentification"]["nationalIdentifier"] = A
    doc["ivms101"]["beneficiaryVASP"]["beneficiaryVASP"]["legalPerson"]["nationalIdentification"][
        "nationalIdentifier"] = B
    assert send(cli, tmp_path, doc=doc).exit_code == 0


def test_an_invalid_payload_is_refused_with_its_paths_and_nothing_is_stored(cli, store, tmp_path):
    setup(store)
    doc = copy.deepcopy(ENVELOPE)
    doc["ivms101"]["beneficiary"]["beneficiaryPersons"][0]["naturalPerson"]["countryOfResidence"] = "XZ"
    doc["transfer"]["amount"] = "-5"
    before = counts(store)
    r = send(cli, tmp_path, doc=doc)
    assert r.exit_code == 2
    assert "ivms101.beneficiary.beneficiaryPersons[0].naturalPerson.countryOfResidence" in r.stderr
    assert "transfer.amount" in r.stderr
    assert counts(store) == before


def test_an_envelope_without_its_ivms101_key_is_refused_not_read_as_a_bare_payload(cli, store, tmp_path):
    """Transfer data beside the payload's fields (the 'ivms101' key left out or misspelt) is refused by name:
    read as a bare payload, its transfer and so the FATF R.16 threshold would be ignored."""
    setup(store)
    before = counts(store)
    for doc in ({**IVMS, "transfer": ENVELOPE["transfer"]}, {"ivms": IVMS, "transfer": ENVELOPE["transfer"]}):
        r = send(cli, tmp_path, doc=doc)
        assert r.exit_code == 2 and "ivms101" in r.stderr and "Traceback" not in r.stderr
    assert counts(store) == before


def test_a_message_is_decided_only_once_and_approval_needs_a_licence_now(cli, store, tmp_path):
    setup(store)
    first = send(cli, tmp_path).json["id"]
    second = send(cli, tmp_path).json["id"]
    r = cli("--as", "beta", "supervise", "travel-rule", "reject", str(first), "--reason", "name does not match")
    assert r.exit_code == 0, r.stderr
    before = counts(store)
    r = cli("--as", "beta", "supervise", "travel-rule", "approve", str(first), "--reason", "second thoughts")
    assert r.exit_code == 2 and "already rejected" in r.stderr
    assert cli("--as", "beta", "supervise", "travel-rule", "reject", "999999", "--reason", "x").exit_code == 2
    assert counts(store) == before
    # Beta is suspended after the inquiry arrived: it may still reject, no longer approve
    from biplomacy.supervision.tables import LicenceRow

    with store.transaction() as s:
        s.scalars(select(LicenceRow).where(LicenceRow.lei == B)).one().state = "suspended"
    r = cli("--as", "beta", "supervise", "travel-rule", "approve", str(second), "--reason", "fine")
    assert r.exit_code == 2 and "is not licensed (state: suspended)" in r.stderr
    assert counts(store) == before
    assert cli("--as", "beta", "supervise", "travel-rule", "reject", str(second), "--reason", "suspended").exit_code == 0


def test_discovery_by_lei(cli, store):
    refs = setup(store)
    d = cli("--as", "alpha", "supervise", "travel-rule", "discover", B, "--json").json
    assert d == {"lei": B, "reference": refs[B], "legal_name": "Beta Custody", "state": "approved_with_conditions",
                 "activities": ["custody"], "accepts_transfers": True}
    r = cli("--as", "alpha", "supervise", "travel-rule", "discover", SUSPENDED[1])
    assert r.exit_code == 2 and "not licensed (state: suspended)" in r.stderr
    assert cli("--as", "ana", "supervise", "travel-rule", "discover", B).exit_code == 2


def _bearer(store, name):
    return {"Accept": "application/json", "Authorization": "Bearer " + users.issue_token(store, LOCAL_ADMIN, name)[1]}


def test_http_round_trip_and_refusals(app_client):
    store = app_client.app.state.store
    setup(store)
    alpha, beta, sup = _bearer(store, "alpha"), _bearer(store, "beta"), _bearer(store, "sup")
    body = {"beneficiary_lei": B, "payload": ENVELOPE}
    before = counts(store)
    r = app_client.post("/api/v1/travel-rule/transfers", headers={"Accept": "application/json"}, json=body)
    assert r.status_code == 403
    r = app_client.post("/api/v1/travel-rule/transfers", headers=sup, json=body)
    assert r.status_code == 403 and "allowed: vasp" in r.json()["detail"]
    r = app_client.post("/api/v1/travel-rule/transfers", headers=alpha, json={**body, "originator_lei": B})
    assert r.status_code == 403 and f"own entity (LEI {A})" in r.json()["detail"]
    r = app_client.post("/api/v1/travel-rule/transfers", headers=alpha, json={**body, "beneficiary_lei": SUSPENDED[1]})
    assert r.status_code == 422 and r.json()["field"] == "beneficiary_lei" and "suspended" in r.json()["detail"]
    r = app_client.post("/api/v1/travel-rule/transfers", headers=alpha, json={"payload": ENVELOPE})
    assert r.status_code == 422 and r.json()["field"] == "body.beneficiary_lei"
    assert counts(store) == before

    r = app_client.post("/api/v1/travel-rule/transfers", headers=alpha, json=body)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert app_client.get(f"/api/v1/travel-rule/vasps/{B}", headers=alpha).json()["accepts_transfers"] is True
    box = app_client.get("/api/v1/travel-rule/inbox", headers=beta).json()
    assert [m["id"] for m in box["pending"]] == [mid] and box["pending"][0]["payload"] == ENVELOPE
    r = app_client.get(f"/api/v1/travel-rule/inbox/{B}", headers=alpha)
    assert r.status_code == 403 and "inbox" in r.json()["detail"]
    assert app_client.get(f"/api/v1/travel-rule/inbox/{B}", headers=sup).json()["pending"][0]["id"] == mid

    before = counts(store)
    for who in (alpha, sup):
        r = app_client.post(f"/api/v1/travel-rule/transfers/{mid}/approve", headers=who, json={"reason": "ok"})
        assert r.status_code == 403, r.text
    assert counts(store) == before
    r = app_client.post(f"/api/v1/travel-rule/transfers/{mid}/approve", headers=beta, json={"reason": "ok"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = app_client.post(f"/api/v1/travel-rule/transfers/{mid}/reject", headers=beta, json={"reason": "late"})
    assert r.status_code == 422 and "already approved" in r.json()["detail"]
    shown = app_client.get(f"/api/v1/travel-rule/transfers/{mid}", headers=sup).json()
    assert [h["status"] for h in shown["history"]] == ["requested", "approved"]
    listed = app_client.get("/api/v1/travel-rule/transfers", headers=sup, params={"state": "approved"}).json()
    assert [m["id"] for m in listed["messages"]] == [mid]
