"""`biplomacy peers compare`: the JSON document, the CSV file, Pakistan's live figures, exit 2 on a bad code."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tests.energy.plan.conftest import small_scenario  # noqa: F401 - a fixture used below
from tests.reserve.custody.conftest import signers, treasury_descriptor  # noqa: F401 - fixtures used below
from tests.reserve.custody.test_ceremony import ok


def test_json_has_every_country_dimension_and_cited_source(cli: Any) -> None:
    r = cli("peers", "compare", "--json")
    assert r.exit_code == 0, r.stderr
    d = r.json
    assert [c["code"] for c in d["countries"]] == ["PK", "SV", "BT", "US"]
    assert [x["key"] for x in d["dimensions"]][:3] == ["reserve_btc", "reserve_sources", "reserve_sale"]
    cited = {x["key"] for dim in d["dimensions"] for cell in dim["cells"].values() for x in cell["cites"]}
    assert cited == {s["key"] for s in d["sources"]}
    assert d["dimensions"][0]["cells"]["SV"]["value"] == "6238"
    assert {v["country"] for v in d["chart"]["data"]["values"]} == {"El Salvador", "Bhutan"}


def test_countries_option_limits_the_columns(cli: Any) -> None:
    d = cli("peers", "compare", "--countries", "pk,SV", "--json").json
    assert [c["code"] for c in d["countries"]] == ["PK", "SV"]
    assert all(set(dim["cells"]) == {"PK", "SV"} for dim in d["dimensions"])


def test_csv_file_has_one_line_per_cell_with_its_sources(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "peers.csv"
    r = cli("peers", "compare", "--countries", "SV,US", "--csv", str(target))
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 8 * 2
    sv = next(x for x in rows if (x["dimension"], x["country"]) == ("reserve_btc", "SV"))
    assert (sv["value"], sv["unit"], sv["date"], sv["kind"]) == ("6238", "BTC", "2025-07-17", "figure")
    assert "peers.sv.reserve_btc" in sv["sources"].split(";")
    us = next(x for x in rows if (x["dimension"], x["country"]) == ("reserve_btc", "US"))
    assert (us["text"], us["sources"]) == ("not published", "")
    assert "El Salvador" in r.stdout  # the table is still printed


def test_an_unknown_country_exits_2_naming_the_known_codes(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "never.csv"
    r = cli("peers", "compare", "--countries", "PK,FR", "--csv", str(target))
    assert r.exit_code == 2
    assert "unknown country code FR" in r.stderr and "BT (Bhutan)" in r.stderr
    assert not target.exists()


def test_csv_into_a_folder_exits_2(cli: Any, tmp_path: Path) -> None:
    r = cli("peers", "compare", "--csv", str(tmp_path))
    assert r.exit_code == 2 and "is a folder" in r.stderr


def test_the_table_lists_the_sources_it_numbers(cli: Any) -> None:
    r = cli("peers", "compare", "--countries", "US")
    assert r.exit_code == 0, r.stderr
    assert "United States" in r.stdout and "[1] " in r.stdout and "peers.us.sbr_executive_order" in r.stdout


def test_without_a_database_the_announced_figures_are_shown(cli_nodb: Any) -> None:
    r = cli_nodb("peers", "compare", "--countries", "PK", "--json")
    assert r.exit_code == 0, r.stderr
    mining = next(d for d in r.json["dimensions"] if d["key"] == "mining_mw")["cells"]["PK"]
    assert (mining["kind"], mining["value"]) == ("figure", "2000")


def test_pakistan_shows_this_installations_ledger_and_newest_stored_plan(
        cli: Any, small_scenario: Path, treasury_descriptor: str, tmp_path: Path) -> None:  # noqa: F811
    before = cli("peers", "compare", "--countries", "PK", "--json").json
    assert {d["key"]: d["cells"]["PK"]["kind"] for d in before["dimensions"]}["reserve_btc"] == "statement"

    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1.25", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    ok(cli("reserve", "sync", "treasury", "--json"))
    for name in ("first", "second"):
        plan = ok(cli("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / name),
                      "--name", name, "--json"))

    d = cli("peers", "compare", "--countries", "PK", "--json").json
    cells = {x["key"]: x["cells"]["PK"] for x in d["dimensions"]}
    reserve, mining = cells["reserve_btc"], cells["mining_mw"]
    assert (reserve["kind"], reserve["value"], reserve["unit"]) == ("live", "1.25", "BTC")
    assert "this installation's ledger" in reserve["text"]
    assert reserve["cites"][0]["key"] == "house.pk.strategic_bitcoin_reserve"
    assert mining["kind"] == "live" and f"stored plan {plan['plan_id']}" in mining["text"]
    assert mining["value"] == str(plan["mining_mw_installed"])
    assert d["chart"]["data"]["values"] == [{"country": "Pakistan", "btc": 1.25, "as_of": reserve["date"],
                                             "kind": "live"}]
