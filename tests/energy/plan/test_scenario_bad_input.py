"""A scenario with bad input is refused as a whole, naming file, row and field; nothing is stored."""

import csv

import pytest

from biplomacy.core.errors import InputError
from biplomacy.energy.model.scenario import load_scenario


def _rows(folder):
    with (folder / "grid.csv").open() as f:
        return list(csv.reader(f))


def _write(folder, rows):
    with (folder / "grid.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)


def _problems(folder):
    with pytest.raises(InputError) as exc:
        load_scenario(folder)
    return " | ".join(str(i) for i in exc.value.issues)


def test_missing_hour_is_named_with_its_row(small_scenario):
    rows = _rows(small_scenario)
    del rows[5]
    _write(small_scenario, rows)
    assert "row 6, hour" in _problems(small_scenario)


def test_duplicated_hour_is_named(small_scenario):
    rows = _rows(small_scenario)
    rows.insert(4, rows[3])
    _write(small_scenario, rows)
    assert "appears twice" in _problems(small_scenario)


def test_nan_and_negative_mw_are_named_with_row_and_field(small_scenario):
    rows = _rows(small_scenario)
    rows[2][1] = "nan"
    rows[3][2] = "-5"
    _write(small_scenario, rows)
    p = _problems(small_scenario)
    assert "row 3, demand_mw: NaN" in p and "row 4, avail_hydro_mw: negative MW" in p


def test_wrong_columns_are_named(small_scenario):
    rows = _rows(small_scenario)
    rows[0][1] = "load_mw"
    _write(small_scenario, rows)
    p = _problems(small_scenario)
    assert "missing columns ['demand_mw']" in p and "load_mw" in p


def test_zero_j_per_th_and_cap_below_ai_load_are_reported(small_scenario):
    toml = small_scenario / "scenario.toml"
    toml.write_text(toml.read_text().replace("j_per_th = 13.5", "j_per_th = 0"))
    assert "j_per_th: J/TH must be positive" in _problems(small_scenario)
    toml.write_text(toml.read_text().replace("j_per_th = 0", "j_per_th = 13.5").replace("firm_mw = 20.0", "firm_mw = 500.0"))
    assert "below the AI data centres' firm load" in _problems(small_scenario)


def test_unknown_scenario_is_named():
    with pytest.raises(InputError, match="neither a shipped scenario"):
        load_scenario("atlantis-2030")


def test_cli_bad_scenario_exits_2_and_stores_nothing(cli, small_scenario, tmp_path):
    rows = _rows(small_scenario)
    rows[7][1] = "lots"
    _write(small_scenario, rows)
    r = cli("energy", "plan", "--scenario", str(small_scenario), "--out", str(tmp_path / "o"), "--json")
    assert r.exit_code == 2 and "row 8, demand_mw" in r.stderr and "Traceback" not in r.stderr
    assert cli("energy", "plans", "--json").json == []


def test_a_shipped_scenario_must_cover_a_whole_year(small_scenario, monkeypatch):
    from biplomacy.energy.model import scenario as scenario_module

    monkeypatch.setattr(scenario_module, "shipped_root", lambda: small_scenario.parent)
    with pytest.raises(InputError) as e:
        load_scenario(small_scenario.name)
    assert "grid.csv" in str(e.value) and "whole year of hours (8,760 or 8,784), got 24" in str(e.value)


def test_the_shipped_scenario_is_one_2025_year_in_pakistan_time():
    s = load_scenario("pakistan-2025")
    assert len(s.grid.hours) == 8760
    assert s.grid.hours[0] == "2025-01-01T00:00:00+05:00" and s.grid.hours[-1] == "2025-12-31T23:00:00+05:00"
