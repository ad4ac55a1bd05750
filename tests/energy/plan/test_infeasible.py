"""An impossible plan is explained in words (which zone, which hours), before HiGHS runs."""

import dataclasses
import json

import pytest

from biplomacy.core.errors import InfeasibleError
from biplomacy.energy.model import planner
from biplomacy.energy.model.feasibility import infeasibility_reasons
from biplomacy.energy.model.scenario import load_scenario
from tests.energy.plan.conftest import write_scenario


def test_ai_firm_load_over_the_only_ai_zones_limit_names_the_zone(tmp_path):
    n = 24
    folder = write_scenario(tmp_path / "s", demand=[100.0] * n, hydro=[2000.0] * n, rlng=[0.0] * n,
                            zones=(("Thar", 600.0, 100.0, True), ("Tarbela", 800.0, 100.0, False)),
                            cap=1500.0, ai=500.0)
    s = load_scenario(folder)
    s = dataclasses.replace(s, ai=dataclasses.replace(s.ai, firm_mw=900.0))  # a scenario built in code
    with pytest.raises(InfeasibleError) as e:
        planner.build(s)
    assert "AI firm load 900 MW exceeds zone Thar's connection limit 600 MW" in str(e.value)


def test_ai_firm_load_over_the_grid_headroom_names_the_hours(tmp_path):
    n = 24
    hydro = [300.0] * n
    hydro[5] = hydro[6] = 120.0  # headroom 20 MW at 05:00 and 06:00, below the 50 MW firm load
    folder = write_scenario(tmp_path / "s", demand=[100.0] * n, hydro=hydro, rlng=[0.0] * n, oil=[0.0] * n,
                            zones=(("A", 100.0, 100.0, True),), cap=100.0, ai=50.0)
    reasons = infeasibility_reasons(load_scenario(folder))
    assert [r.code for r in reasons] == ["ai_over_headroom"]
    assert "in 2 hour(s) (2025-01-01T05:00:00+05:00, 2025-01-01T06:00:00+05:00)" in reasons[0].message
    assert "the least is 20 MW" in reasons[0].message


def test_a_feasible_scenario_has_no_reasons(small_scenario):
    assert infeasibility_reasons(load_scenario(small_scenario)) == []


def test_cli_infeasible_plan_exits_2_with_the_reason_and_stores_nothing(cli, tmp_path):
    n = 24
    hydro = [300.0] * n
    hydro[7] = 110.0
    folder = write_scenario(tmp_path / "s", demand=[100.0] * n, hydro=hydro, rlng=[0.0] * n, oil=[0.0] * n,
                            zones=(("Thar", 100.0, 100.0, True),), cap=100.0, ai=50.0, name="short-of-headroom")
    res = cli("energy", "plan", "--scenario", str(folder), "--out", str(tmp_path / "o"), "--json")
    assert res.exit_code == 2 and "exceeds the grid's headroom" in res.stderr
    assert "2025-01-01T07:00:00+05:00" in res.stderr
    assert "Traceback" not in res.stderr
    listed = cli("energy", "plans", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
