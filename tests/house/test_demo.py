"""`biplomacy demo run` (what `make run` runs): every pillar's main job, safe to run twice."""

import pytest


@pytest.mark.slow
def test_demo_runs_every_pillar_and_a_second_run_changes_nothing(cli):
    first = cli("demo", "run", "--json")
    assert first.exit_code == 0, first.stderr
    pillars = [s["pillar"] for s in first.json["steps"]]
    assert pillars == ["house", "energy", "reserve", "supervision"]
    assert cli("energy", "plans", "--json").json[0]["name"] == "pakistan-2025 demo"
    second = cli("demo", "run", "--json")
    assert second.exit_code == 0, second.stderr
    assert len(cli("energy", "plans", "--json").json) == 1
    assert [w["name"] for w in cli("reserve", "wallet", "list", "--json").json] == ["national-reserve-rehearsal"]
    assert cli("audit", "verify", "--json").json["valid"]
