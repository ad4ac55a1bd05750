"""Travel rule: IVMS101 payloads validated field by field, the USD/EUR 1,000 threshold, unhosted wallets."""

import copy
import json
from decimal import Decimal

import pytest

from biplomacy.aml.model.ivms101 import validate_identity_payload
from biplomacy.aml.model.travel_rule import check_transfer, missing_data_flag
from biplomacy.aml.travel_rule import default_rule

GOOD = {
    "originator": {
        "originatorPersons": [{"naturalPerson": {
            "name": {"nameIdentifier": [{"primaryIdentifier": "Khan", "secondaryIdentifier": "Ayesha",
                                         "nameIdentifierType": "LEGL"}]},
            "geographicAddress": [{"addressType": "HOME", "streetName": "Jinnah Avenue", "buildingNumber": "12",
                                   "townName": "Islamabad", "country": "PK"}],
            "dateAndPlaceOfBirth": {"dateOfBirth": "1990-04-01", "placeOfBirth": "Lahore"},
            "countryOfResidence": "PK"}}],
        "accountNumber": ["bc1qexampleoriginator"],
    },
    "beneficiary": {
        "beneficiaryPersons": [{"naturalPerson": {
            "name": {"nameIdentifier": [{"primaryIdentifier": "Martinez", "nameIdentifierType": "LEGL"}]},
            "countryOfResidence": "SV"}}],
        "accountNumber": ["bc1qexamplebeneficiary"],
    },
    "originatingVASP": {"originatingVASP": {"legalPerson": {
        "name": {"nameIdentifier": [{"legalPersonName": "IndusX (fictional)", "legalPersonNameIdentifierType": "LEGL"}]},
        "nationalIdentification": {"nationalIdentifier": "5493001KJTIIGC8Y1R12", "nationalIdentifierType": "LEIX"},
        "countryOfRegistration": "PK"}}},
    "beneficiaryVASP": {"beneficiaryVASP": {"legalPerson": {
        "name": {"nameIdentifier": [{"legalPersonName": "Chivo (fictional)", "legalPersonNameIdentifierType": "LEGL"}]},
        "countryOfRegistration": "SV"}}},
}


def paths(doc):
    return {i.path for i in validate_identity_payload(doc)}


def test_a_complete_payload_is_valid():
    assert validate_identity_payload(GOOD) == []


def test_unknown_country_of_residence_is_named_by_its_path():
    doc = copy.deepcopy(GOOD)
    doc["beneficiary"]["beneficiaryPersons"][0]["naturalPerson"]["countryOfResidence"] = "XZ"
    assert paths(doc) == {"beneficiary.beneficiaryPersons[0].naturalPerson.countryOfResidence"}


def test_every_problem_is_reported_at_once():
    doc = copy.deepcopy(GOOD)
    person = doc["originator"]["originatorPersons"][0]["naturalPerson"]
    person["name"]["nameIdentifier"][0]["nameIdentifierType"] = "NICK"
    person["dateAndPlaceOfBirth"]["dateOfBirth"] = "2999-01-01"
    doc["originatingVASP"]["originatingVASP"]["legalPerson"]["nationalIdentification"]["nationalIdentifier"] = "5493001KJTIIGC8Y1R13"
    del doc["beneficiary"]["accountNumber"]
    p = paths(doc)
    assert "originator.originatorPersons[0].naturalPerson.name.nameIdentifier[0].nameIdentifierType" in p
    assert "originator.originatorPersons[0].naturalPerson.dateAndPlaceOfBirth.dateOfBirth" in p
    assert "originatingVASP.originatingVASP.legalPerson.nationalIdentification.nationalIdentifier" in p
    assert "beneficiary.accountNumber" in p


def test_an_originator_with_nothing_but_a_name_is_not_identified():
    doc = copy.deepcopy(GOOD)
    person = doc["originator"]["originatorPersons"][0]["naturalPerson"]
    for k in ("geographicAddress", "dateAndPlaceOfBirth"):
        del person[k]
    assert "originator.originatorPersons[0].naturalPerson" in paths(doc)


def test_usd_1500_is_above_the_threshold_and_pkr_is_converted():
    rule = default_rule()
    r = check_transfer({"ivms101": GOOD, "transfer": {"amount": "1500.00", "currency": "USD"}}, rule)
    assert r.valid and r.above_threshold
    pkr = check_transfer({"ivms101": GOOD, "transfer": {"amount": "200000", "currency": "PKR"}}, rule)
    assert pkr.amount_usd == Decimal("711.74") and pkr.above_threshold is False


def test_transfer_of_usd_1500_without_ivms101_data_is_flagged():
    r = missing_data_flag({"amount": "1500", "currency": "USD"}, default_rule())
    assert not r.valid and any("no IVMS101 data" in f for f in r.flags)


def test_an_envelope_missing_its_ivms101_key_is_invalid_and_names_it(cli_nodb, tmp_path):
    transfer = {"amount": "1500.00", "currency": "USD"}
    for doc in ({**GOOD, "transfer": transfer}, {"ivms": GOOD, "transfer": transfer}):
        r = check_transfer(doc, default_rule())
        assert not r.valid and [(i.path, i.code) for i in r.problems] == [("ivms101", "travel.envelope")]
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"Ivms101": GOOD, "transfer": transfer}))
    out = cli_nodb("supervise", "travel-rule", "validate", str(f), "--json")
    assert out.exit_code == 0 and out.json["valid"] is False and out.json["problems"][0]["path"] == "ivms101"


def test_amounts_with_the_wrong_precision_and_unhosted_wallets():
    r = check_transfer({"ivms101": GOOD, "transfer": {"amount": "0.123456789", "asset": "BTC", "unhosted": True}},
                       default_rule())
    assert any(i.path == "transfer.amount" and "8 decimal places" in i.message for i in r.problems)
    assert r.flags == ["unhosted wallet: flag (configured rule)"]


@pytest.mark.parametrize("content", ["{not json", "[1, 2"])
def test_cli_refuses_a_file_that_is_not_json_with_exit_2(cli_nodb, tmp_path, content):
    f = tmp_path / "t.json"
    f.write_text(content)
    r = cli_nodb("supervise", "travel-rule", "validate", str(f), "--json")
    assert r.exit_code == 2 and "not JSON" in r.stderr and "Traceback" not in r.stderr


def test_cli_reports_an_empty_payload_as_invalid_with_paths(cli_nodb, tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"originator": {}, "beneficiary": {}}))
    r = cli_nodb("supervise", "travel-rule", "validate", str(f), "--json")
    assert r.exit_code == 0
    assert r.json["valid"] is False
    assert {"originator.originatorPersons", "beneficiary.accountNumber"} <= {p["path"] for p in r.json["problems"]}
