"""`biplomacy energy expected-btc` and `energy economics`: the contract shape and exit 2 on bad input."""

import pytest


def test_expected_btc_contract_example(cli_nodb):
    r = cli_nodb("energy", "expected-btc", "--hashrate", "100EH/s", "--difficulty", "148.26T", "--days", "30", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json
    assert doc["expected_btc"] == pytest.approx(30 * 86400 * 1e20 / (148.26e12 * 2**32) * 3.125, rel=1e-9)
    assert doc["hashes_per_difficulty"] == "2^32"
    assert doc["subsidy_btc"] == 3.125 and doc["fees_btc_per_block"] == 0
    assert doc["blocks"] == 4320
    assert doc["inputs"]["days"] == 30 and doc["inputs"]["hashrate_hs"] == 1e20
    assert doc["sources"]


def test_expected_btc_takes_fractional_days_and_fees(cli_nodb):
    r = cli_nodb("energy", "expected-btc", "--hashrate", "100EH/s", "--difficulty", "148.26T", "--days", "0.5",
                 "--fees-btc-per-block", "0.1", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["expected_btc"] == pytest.approx(0.5 * 86400 * 1e20 / (148.26e12 * 2**32) * 3.225, rel=1e-9)


def test_expected_btc_across_the_halving_with_a_start_height(cli_nodb):
    r = cli_nodb("energy", "expected-btc", "--hashrate", "100EH/s", "--difficulty", "148.26T", "--days", "30",
                 "--start-height", "1049000", "--json")
    doc = r.json
    assert doc["blocks_before_halving"] == 1000 and doc["blocks_after_halving"] == pytest.approx(3320)
    assert doc["expected_btc"] < 1272.04 * 0.7


@pytest.mark.parametrize("flag, value", [
    ("--hashrate", "fast"), ("--hashrate", "-5EH/s"), ("--difficulty", "hard"), ("--difficulty", "0"),
    ("--days", "-1"), ("--days", "soon"), ("--fees-btc-per-block", "-0.1"), ("--start-height", "1.5"),
])
def test_bad_expected_btc_input_exits_2_naming_the_flag(cli_nodb, flag, value):
    args = {"--hashrate": "100EH/s", "--difficulty": "148.26T", "--days": "30"} | {flag: value}
    r = cli_nodb("energy", "expected-btc", *[x for kv in args.items() for x in kv], "--json")
    assert r.exit_code == 2
    assert flag in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_economics_of_an_s21_reports_break_even_and_payback(cli_nodb):
    r = cli_nodb("energy", "economics", "--asic", "S21", "--power-price-usd-kwh", "0.04", "--ambient-c", "45", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json
    hp_th = doc["hashprice_usd_ph_day"] / 1000
    assert doc["break_even_usd_kwh"] == pytest.approx(hp_th / (0.024 * 17.5 * doc["pue"]))
    assert doc["derating"] == pytest.approx(0.85)
    assert doc["payback_days"] == pytest.approx(doc["capex_usd"] / doc["margin_usd_per_day"])
    assert any(s["assumption"] for s in doc["sources"])


def test_economics_refuses_an_unknown_asic(cli_nodb):
    r = cli_nodb("energy", "economics", "--asic", "S99", "--json")
    assert r.exit_code == 2 and "--asic" in r.stderr
