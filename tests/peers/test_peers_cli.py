"""`biplomacy peers compare`: the JSON document with the dated history, the CSV file, national figures only (never
this installation's rehearsal ledger or plans), exit 2 on a bad code."""

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
    assert d["dimensions"][0]["cells"]["SV"]["value"] == "7474"
    charted = d["chart"]["datasets"] if "datasets" in d["chart"] else {"v": d["chart"]["data"]["values"]}
    points = [p for values in charted.values() for p in values]
    assert {p["country"] for p in points} == {"El Salvador", "Bhutan", "United States"}
    sv = [(p["date"], p["btc"]) for p in points if p["country"] == "El Salvador"]
    assert ("2025-11-18", 7474.0) in sv and ("2024-12-19", 5980.77) in sv
    disputes = {x["key"]: x for x in d["history"]["disputes"]}
    sides = disputes["sv-accumulation-2025"]["sides"]
    assert any("unchanged" in e["text"] and e["claimant"].startswith("IMF") for e in sides)
    assert any(e["value"] == "7474" for e in sides)


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
    assert (sv["value"], sv["unit"], sv["date"], sv["kind"]) == ("7474", "BTC", "2025-11-18", "figure")
    assert "peers.sv.reserve_btc" in sv["sources"].split(";")
    us = next(x for x in rows if (x["dimension"], x["country"]) == ("reserve_btc", "US"))
    assert (us["kind"], us["value"], us["sources"]) == ("estimate", "198012", "peers.us.holdings_estimate_btc")
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


def test_this_installations_rehearsal_ledger_and_plans_are_never_beside_national_figures(
        cli: Any, small_scenario: Path, treasury_descriptor: str, tmp_path: Path) -> None:  # noqa: F811
    before = cli("peers", "compare", "--json").json
    ok(cli("reserve", "wallet", "add", "treasury", "--descriptor", treasury_descriptor, "--json"))
    address = ok(cli("reserve", "address", "treasury", "--json"))["address"]
    ok(cli("reserve", "chain", "fund", address, "1.25", "--source", "seizure", "--json"))
    ok(cli("reserve", "chain", "mine", "1", "--json"))
    assert ok(cli("reserve", "sync", "treasury", "--json"))["balance_btc"] == "1.25"
    ok(cli("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "p"), "--json"))

    after = cli("peers", "compare", "--json").json
    assert after == before  # nothing of the ledger (1.25 BTC, rehearsal) nor of the stored plan comes in
    cells = {x["key"]: x["cells"]["PK"] for x in after["dimensions"]}
    assert cells["reserve_btc"]["kind"] == "statement" and cells["mining_mw"]["value"] == "2000"
    assert "1.25" not in cli("peers", "compare", "--countries", "PK").stdout


def test_the_table_prints_each_countrys_dated_history_and_the_disputes(cli: Any) -> None:
    r = cli("peers", "compare", "--countries", "BT")
    assert r.exit_code == 0, r.stderr
    assert "Bhutan: history" in r.stdout and "2024-10-29" in r.stdout and "Bitdeer" in r.stdout
    assert "Disputed (bt-holdings-2024-09-16)" in r.stdout
