"""AML rules: each fires on its planted pattern and stays quiet on a clean control; bad files are named."""

import csv
from datetime import UTC, datetime, timedelta

import pytest

from biplomacy.aml.model.rules import scan
from biplomacy.aml.model.sanctions import parse_address_lines, screen_name
from biplomacy.aml.model.transactions import from_columns
from biplomacy.aml.scan import shipped_sanctions, thresholds

T0 = datetime(2025, 9, 1, tzinfo=UTC)


def table(rows):
    cols = {k: [] for k in ("tx_id", "timestamp", "from_account", "to_account", "amount", "asset", "vasp")}
    for i, (hours, src, dst, amount, vasp) in enumerate(rows):
        for k, v in zip(cols, (f"t{i}", (T0 + timedelta(hours=hours)).isoformat(), src, dst, str(amount), "USD", vasp),
                        strict=True):
            cols[k].append(v)
    return from_columns(cols, "test.csv")


def rules_fired(rows, sanctioned=frozenset()):
    return {a.rule for a in scan(table(rows), thresholds(), sanctioned)}


CLEAN = [(i * 30, f"c{i}", f"d{i}", 250 + i, "A") for i in range(12)]


def test_clean_control_raises_nothing():
    assert rules_fired(CLEAN) == set()


def test_structuring_just_under_the_threshold():
    rows = [(h, "s", f"x{h}", 950 + h, "A") for h in (1, 3, 5)]
    assert "structuring" in rules_fired(CLEAN + rows)


def test_fan_out_and_fan_in():
    out = [(1 + i * 0.5, "hub", f"r{i}", 100, "A") for i in range(9)]
    inn = [(1 + i * 0.5, f"p{i}", "sink", 100, "B") for i in range(9)]
    assert {"fan_out", "fan_in"} <= rules_fired(CLEAN + out + inn)


def test_pass_through_within_a_day():
    assert "pass_through" in rules_fired(CLEAN + [(1, "a", "mule", 5000, "A"), (3, "mule", "b", 4900, "B")])


def test_passing_a_retail_sum_on_within_a_day_is_not_pass_through():
    assert "pass_through" not in rules_fired(CLEAN + [(1, "a", "mule", 700, "A"), (3, "mule", "b", 690, "B")])


def test_cycle_across_three_exchanges_is_only_seen_joined():
    cycle = [(1, "k1", "k2", 9000, "ExA"), (5, "k2", "k3", 8900, "ExB"), (9, "k3", "k1", 8800, "ExC")]
    alerts = scan(table(CLEAN + cycle), thresholds())
    cross = [a for a in alerts if a.rule == "cross_vasp_cycle"]
    assert cross and cross[0].evidence["vasps"] == ["ExA", "ExB", "ExC"]
    for vasp in ("ExA", "ExB", "ExC"):  # each exchange alone sees one leg and no cycle
        alone = [r for r in cycle if r[4] == vasp]
        assert not {"cycle", "cross_vasp_cycle"} & rules_fired(CLEAN + alone)


def test_exposure_to_a_sanctioned_address_within_two_hops():
    sdn = shipped_sanctions()
    bad = sorted(sdn.addresses)[0]
    alerts = scan(table(CLEAN + [(1, bad, "m1", 100, "A"), (2, "m1", "m2", 90, "A"), (3, "m2", "m3", 80, "A")]),
                  thresholds(), sdn.addresses)
    hops = {a.accounts[0]: a.evidence["hops"] for a in alerts if a.rule == "sanctioned_exposure"}
    assert hops == {"m1": 1, "m2": 2}


def test_shipped_ofac_snapshot_reports_the_misfiled_tron_address():
    sdn = shipped_sanctions()
    assert len(sdn.addresses) == 434
    assert len(sdn.rejected) == 1 and "TRON" in sdn.rejected[0].message


def test_name_screening_reports_its_score():
    matches = screen_name("Garantex Europe", ["GARANTEX EUROPE OU", "Lazarus Group", "Suex OTC"])
    assert matches and matches[0][0] == "GARANTEX EUROPE OU" and matches[0][1] >= 80
    assert parse_address_lines("not-an-address\n", "x").rejected


def write_csv(path, header, rows):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_amlsim_layout_loads_as_it_is(cli_nodb, tmp_path):
    f = tmp_path / "transactions.csv"
    write_csv(f, ["tran_id", "orig_acct", "bene_acct", "tx_type", "base_amt", "tran_timestamp", "is_sar", "alert_id"],
              [[1, "A1", "A2", "TRANSFER", "100.5", "2018-01-01T00:00:00Z", "False", "-1"],
               [2, "A2", "A3", "TRANSFER", "99.0", "2018-01-01T05:00:00Z", "True", "7"]])
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(f), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["summary"]["transactions"] == 2 and isinstance(r.json["alerts"], list)


@pytest.mark.parametrize(("header", "row", "expected"), [
    (["tx_id", "timestamp", "from_account", "amount", "asset"], ["t1", "2025-01-01T00:00:00+00:00", "a", "1", "USD"],
     "missing columns ['to_account']"),
    (["tx_id", "timestamp", "from_account", "to_account", "amount", "asset"], ["t1", "yesterday", "a", "b", "1", "USD"],
     "row 2, timestamp"),
    (["tx_id", "timestamp", "from_account", "to_account", "amount", "asset"], ["t1", "2025-01-01T00:00:00", "a", "b", "1", "USD"],
     "no UTC offset"),
    (["tx_id", "timestamp", "from_account", "to_account", "amount", "asset"], ["t1", "2025-01-01T00:00:00Z", "a", "b", "-3", "USD"],
     "row 2, amount"),
])
def test_bad_transaction_files_are_exit_2_naming_row_and_field(cli_nodb, tmp_path, header, row, expected):
    f = tmp_path / "tx.csv"
    write_csv(f, header, [row])
    r = cli_nodb("supervise", "aml", "scan", "--transactions", str(f), "--json")
    assert r.exit_code == 2 and expected in r.stderr and "Traceback" not in r.stderr


def test_every_rule_file_is_registered_with_its_batch_and_streaming_form_from_that_file():
    import pkgutil

    from biplomacy.aml.model import rules

    files = {f"{rules.__name__}.{m.name}" for m in pkgutil.iter_modules(rules.__path__)}
    home = {r.name: {getattr(f, "func", f).__module__ for f in (r.scan, r.score)} for r in rules.RULES}
    assert len(home) == len(rules.RULES) and all(len(m) == 1 for m in home.values()), home
    assert set().union(*home.values()) == files
