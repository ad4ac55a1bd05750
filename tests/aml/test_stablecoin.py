"""Stablecoin reserves: 1:1 backing, eligible assets, T-bill maturity, liquidity share; bad files named."""

import copy
import json
from importlib import resources

import pytest

from biplomacy.supervision.model.stablecoin import check, parse_attestation
from biplomacy.supervision.stablecoin import limits

EXAMPLE = json.loads((resources.files("biplomacy") / "data" / "aml" / "stablecoin-attestation-example.json")
                     .read_text(encoding="utf-8"))


def verdict(doc):
    return check(parse_attestation(doc, "att.json"), limits())


def rules_breached(doc):
    return {b["rule"] for b in verdict(doc)["breaches"]}


def test_shipped_example_is_compliant_with_its_ratio():
    d = verdict(EXAMPLE)
    assert d["compliant"] and d["breaches"] == []
    assert d["backing_ratio"] == "1.010000" and d["outstanding"] == "100000000.000000"


def test_reserves_short_of_supply_breach_one_to_one_backing():
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][2]["amount"] = "50000000.00"  # 96 m against 100 m outstanding
    d = verdict(doc)
    assert "one_to_one_backing" in {b["rule"] for b in d["breaches"]} and d["backing_ratio"] == "0.960000"


def test_ineligible_assets_do_not_count_toward_backing():
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][3] = {"class": "other", "amount": "14000000.00", "description": "commercial paper"}
    assert {"eligible_assets", "one_to_one_backing"} <= rules_breached(doc)


def test_tbill_over_93_days_and_term_repo_breach_maturity():
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][2]["maturity_days"] = 94
    assert rules_breached(doc) == {"maturity"}
    doc["reserves"][2]["maturity_days"] = 93
    doc["reserves"][1]["maturity_days"] = 7
    assert "maturity" in rules_breached(doc)


def test_too_little_cash_and_overnight_breaches_liquidity_share():
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][0]["amount"] = "2000000.00"
    doc["reserves"][2]["amount"] = "75000000.00"
    assert rules_breached(doc) == {"liquidity_share"}


def test_check_cli_json(cli_nodb, tmp_path):
    f = tmp_path / "a.json"
    doc = copy.deepcopy(EXAMPLE)
    doc["reserves"][2]["maturity_days"] = 120
    f.write_text(json.dumps(doc))
    r = cli_nodb("supervise", "stablecoin", "check", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["compliant"] is False and r.json["breaches"][0]["rule"] == "maturity"
    assert any(s["key"] == "supervision.stablecoin.tbill_max_maturity_days" for s in r.json["sources"])


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d.pop("supply"), "supply"),
    (lambda d: d["supply"][0].update(outstanding="-5"), "supply[0].outstanding"),
    (lambda d: d["reserves"][0].update(amount="1.005"), "reserves[0].amount"),
    (lambda d: d["reserves"][0].update({"class": "gold"}), "reserves[0].class"),
    (lambda d: d["reserves"][2].pop("maturity_days"), "reserves[2].maturity_days"),
    (lambda d: d.pop("issuer"), "issuer"),
])
def test_bad_attestation_is_exit_2_naming_the_field(cli_nodb, tmp_path, mutate, field):
    doc = copy.deepcopy(EXAMPLE)
    mutate(doc)
    f = tmp_path / "a.json"
    f.write_text(json.dumps(doc))
    r = cli_nodb("supervise", "stablecoin", "check", str(f), "--json")
    assert r.exit_code == 2 and field in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_not_json_is_exit_2(cli_nodb, tmp_path):
    f = tmp_path / "a.json"
    f.write_text("{nope")
    assert cli_nodb("supervise", "stablecoin", "check", str(f)).exit_code == 2
