"""Real grid data in: NTDC's hourly load layout and CPPA-G's monthly generation mix become a scenario's grid.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biplomacy.core.errors import InputError
from biplomacy.energy.model.grid_import import import_grid, read_generation_mix, read_ntdc_load
from biplomacy.energy.model.scenario import load_scenario
from biplomacy.energy.model.synthetic_grid import calibrate

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "energy"


def test_hour_ending_rows_become_hour_starts_in_pakistan_time(tmp_path):
    f = tmp_path / "NTD.csv"
    f.write_text("DATE,HOUR,SYSLOAD\n" + "".join(f'02/01/2025,{h},"1{h:02d},000"\n' for h in range(24, 0, -1)))
    hours, load = read_ntdc_load(f)
    assert hours[0] == "2025-01-02T00:00:00+05:00" and hours[-1] == "2025-01-02T23:00:00+05:00"
    assert load[0] == 101_000.0 and load[-1] == 124_000.0  # sorted by hour, separators read


def test_bad_rows_are_all_named_with_row_and_field(tmp_path):
    f = tmp_path / "NTD.csv"
    f.write_text("DATE,HOUR,SYSLOAD\n31/02/2025,1,100\n01/01/2025,25,100\n01/01/2025,2,-5\n01/01/2025,3,100\n"
                 "01/01/2025,3,100\n")
    with pytest.raises(InputError) as e:
        read_ntdc_load(f)
    text = " | ".join(f"{i.path}: {i.message}" for i in e.value.issues)
    assert "row 2, date" in text and "row 3, hour" in text and "row 4, SYSLOAD" in text and "row 6" in text


def test_a_file_without_sysload_is_refused(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("date,hour,load\n01/01/2025,1,100\n")
    with pytest.raises(InputError, match="SYSLOAD"):
        read_ntdc_load(f)


def test_the_shipped_mix_is_cppa_gs_published_monthly_totals():
    mix = read_generation_mix(EXAMPLES / "cppa-generation-mix-2025.csv")
    by_month: dict[str, float] = {}
    for g in mix:
        by_month[g.month] = by_month.get(g.month, 0.0) + g.gwh
    assert by_month["2025-12"] == pytest.approx(8_488, abs=1)  # 8,487 GWh published, its parts rounded
    assert by_month["2025-07"] == pytest.approx(14_123 - 732)  # wind, solar, bagasse not itemised in July
    assert {g.source for g in mix} <= {"hydro", "nuclear", "coal_local", "coal_imported", "gas", "rlng",
                                       "furnace_oil", "wind_solar", "other"}


def test_importing_raises_availability_where_the_published_mix_needs_it(tmp_path):
    hours, demand = read_ntdc_load(EXAMPLES / "ntdc-hourly-load-layout.csv")
    assert len(hours) == 48 and hours[0] == "2025-01-15T00:00:00+05:00"
    dec = [h.replace("2025-01-", "2025-12-") for h in hours]  # the same hours in December, to meet its mix
    g = import_grid(dec, demand, read_generation_mix(EXAMPLES / "cppa-generation-mix-2025.csv"))
    assert set(g.available_mw) >= {"hydro", "nuclear", "rlng", "gas"}
    hydro_possible = 11_372 * 0.25 * 744 / 1000  # the synthetic December hydro availability
    if 1_534 > hydro_possible:
        assert any(r.startswith("hydro in 2025-12") for r in g.raised)
    assert np.all(g.available_mw["hydro"] >= 11_372 * 0.25 - 1e-6)


def test_the_cli_writes_a_grid_the_planner_reads(cli_nodb, tmp_path):
    folder = tmp_path / "scenarios" / "real"
    assert cli_nodb("energy", "scenario", "new", "real", "--dir", str(tmp_path / "scenarios")).exit_code == 0
    r = cli_nodb("energy", "scenario", "import-grid", str(folder), "--load", str(EXAMPLES / "ntdc-hourly-load-layout.csv"),
                 "--mix", str(EXAMPLES / "cppa-generation-mix-2025.csv"), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["rows"] == 48
    s = load_scenario(folder)
    assert len(s.grid.hours) == 48 and s.grid.demand_mw[0] == pytest.approx(9_723)
    bad = cli_nodb("energy", "scenario", "import-grid", str(tmp_path), "--load", str(EXAMPLES / "README.md"))
    assert bad.exit_code == 2 and "scenario.toml" in bad.stderr


def test_the_synthetic_profile_is_calibrated_to_fy2025_generation_and_the_grid_capacity():
    _, demand, cal = calibrate()
    assert cal.energy_gwh == pytest.approx(127_159) and demand.sum() / 1000 == pytest.approx(127_159)
    assert cal.installed_mw == pytest.approx(43_792)  # 46,605 MW less 2,813 MW of net metering
    assert cal.july_over_december == pytest.approx(14_123 / 8_487)
    s = load_scenario("pakistan-2025")
    assert s.grid.demand_mw.sum() / 1000 == pytest.approx(127_159, rel=1e-4)  # grid.csv rounds to 0.1 MW
