"""Personal data forever (#20): a travel-rule message's whole IVMS101 payload was copied into the audit log,
which can never be edited, and a 10 MB field was accepted. The payload now lives once, in a table erased under
the retention rule (FATF R.11, five years); the audit log and the message keep its SHA-256."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from biplomacy.aml.tables import TravelRuleMessageRow, TravelRulePersonalDataRow
from biplomacy.aml.travel_rule_exchange import payload_sha256
from biplomacy.aml.travel_rule_retention import erase_expired
from biplomacy.core.errors import InputError
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house.tables import AuditRow
from tests.aml.test_travel_rule_exchange import ENVELOPE, IVMS, send, setup
from tests.vasps import BETA


def _name() -> str:
    return IVMS["originator"]["originatorPersons"][0]["naturalPerson"]["name"]["nameIdentifier"][0]["primaryIdentifier"]


def test_finding_the_audit_log_keeps_the_payloads_hash_not_the_personal_data(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(store)
    sent = send(cli, tmp_path)
    assert sent.exit_code == 0, sent.stderr
    with store.read() as s:
        logged = s.scalars(select(AuditRow.payload).where(AuditRow.action == "travelrule.send")).one()
        stored = s.scalars(select(TravelRulePersonalDataRow.payload_json)).one()
    assert _name() not in logged and payload_sha256(ENVELOPE) in logged
    assert _name() in stored  # once, in the erasable table
    shown = cli("--as", "beta", "supervise", "travel-rule", "show", str(sent.json["id"]), "--json").json
    assert shown["payload"] == ENVELOPE and shown["payload_sha256"] == payload_sha256(ENVELOPE)


def test_finding_a_10_mb_field_is_refused_and_nothing_is_stored(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(store)
    doc = copy.deepcopy(ENVELOPE)
    doc["ivms101"]["originator"]["originatorPersons"][0]["naturalPerson"]["name"]["nameIdentifier"][0][
        "primaryIdentifier"] = "A" * (10 * 1024 * 1024)
    refused = send(cli, tmp_path, "alpha", BETA[1], doc)
    assert refused.exit_code == 2 and "at most 1000" in refused.stderr
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(TravelRuleMessageRow)) == 0


def test_personal_data_is_erased_once_its_retention_ends_and_the_message_stays(cli, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(store)
    old = send(cli, tmp_path).json["id"]
    new = send(cli, tmp_path).json["id"]
    with store.transaction() as s:  # the first was sent six years ago
        s.execute(update(TravelRuleMessageRow).where(TravelRuleMessageRow.id == old)
                  .values(sent_at=datetime.now(UTC) - timedelta(days=6 * 365)))
    with pytest.raises(InputError, match="at least 5 years"):
        erase_expired(store, LOCAL_ADMIN, keep_years=1)
    done = erase_expired(store, LOCAL_ADMIN)
    assert done.erased == (old,)
    assert erase_expired(store, LOCAL_ADMIN).erased == ()  # nothing left to erase
    gone = cli("--as", "beta", "supervise", "travel-rule", "show", str(old), "--json").json
    assert "payload" not in gone and gone["personal_data_erased_at"] and gone["payload_sha256"] == payload_sha256(ENVELOPE)
    assert cli("--as", "beta", "supervise", "travel-rule", "show", str(new), "--json").json["payload"] == ENVELOPE
    with store.read() as s:
        logged = s.scalars(select(AuditRow.payload).where(AuditRow.action == "travelrule.erase")).one()
    assert str(old) in logged and _name() not in logged
    via_cli = cli("supervise", "travel-rule", "erase-expired", "--json")
    assert via_cli.exit_code == 0 and via_cli.json["count"] == 0
