"""Supervisory returns: the published schema and rules report every problem with its field path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from biplomacy.core.errors import InputError
from biplomacy.supervision.model.returns import coverage, due_date, period_bounds, return_issues, validate_return


def good_return() -> dict[str, Any]:
    return {
        "schema_version": "1", "licence": "PVARA-2025-0001", "period": "2025-Q3", "reporting_date": "2025-10-05",
        "client_assets": [{"asset": "BTC", "unit": "sat", "amount": "1000000", "clients": 10}],
        "onchain_reserves": [{"asset": "BTC", "unit": "sat", "amount": "1100000", "addresses": 2, "proof": "bip322"}],
        "volumes": {"currency": "PKR", "spot": "123456.78", "trades": 40},
        "accounts": {"total": 10, "active": 8, "opened": 2, "closed": 0},
        "complaints": {"received": 3, "resolved": 2, "open": 1},
        "incidents": [{"date": "2025-08-02", "type": "outage", "severity": "low", "description": "API down 2 hours"}],
    }


def test_a_good_return_is_valid_and_its_reserve_ratio_is_exact() -> None:
    doc = validate_return(good_return())
    btc = coverage(doc)["BTC"]
    assert (btc.client_assets, btc.reserves) == (1000000, 1100000) and str(btc.ratio) == "1.1000"


def test_every_schema_problem_is_reported_with_its_path() -> None:
    doc = good_return()
    doc["client_assets"][0]["amount"] = "-5"
    doc["volumes"]["spot"] = 12.5
    doc["accounts"]["active"] = -1
    del doc["complaints"]
    doc["incidents"][0]["severity"] = "apocalyptic"
    doc["extra"] = 1
    paths = {i.path for i in return_issues(doc)}
    assert {"client_assets[0].amount", "volumes.spot", "accounts.active", "incidents[0].severity"} <= paths
    assert any("complaints" in i.message for i in return_issues(doc))
    assert any("extra" in i.message for i in return_issues(doc))
    with pytest.raises(InputError):
        validate_return(doc)


def test_consistency_rules_run_once_the_shape_is_right() -> None:
    doc = good_return()
    doc["accounts"]["active"] = 11
    doc["incidents"][0]["date"] = "2025-01-01"
    doc["client_assets"].append(copy.deepcopy(doc["client_assets"][0]))
    paths = {i.path for i in return_issues(doc)}
    assert paths == {"accounts.active", "incidents[0].date", "client_assets[1].asset"}


def test_quarters_and_due_dates() -> None:
    assert [str(d) for d in period_bounds("2025-Q3")] == ["2025-07-01", "2025-09-30"]
    assert [str(d) for d in period_bounds("2025-Q4")] == ["2025-10-01", "2025-12-31"]
    assert str(due_date("2025-Q3", 30)) == "2025-10-30"
