"""AI data centres pinned to zones ([[ai_centre]]): unknown zones are named, the planner keeps each in its zone."""

import re

import pytest

from biplomacy.core.errors import InputError
from biplomacy.energy.model import planner
from biplomacy.energy.model.scenario import load_scenario
from tests.energy.plan.conftest import write_scenario

N = 24


def _with_centres(folder, centres: str):
    toml = folder / "scenario.toml"
    toml.write_text(re.sub(r"\[ai\]\nfirm_mw = [^\n]+\nuptime = [^\n]+\n", centres, toml.read_text()))
    return folder


def _folder(tmp_path, centres: str):
    folder = write_scenario(tmp_path / "s", demand=[100.0] * N, hydro=[400.0] * N, rlng=[0.0] * N,
                            zones=(("Thar", 100.0, 100.0, True), ("Jamshoro", 100.0, 100.0, True),
                                   ("Tarbela", 100.0, 100.0, False)), cap=200.0)
    return _with_centres(folder, centres)


def test_ai_centre_in_an_unknown_zone_is_named_with_file_and_field(tmp_path):
    folder = _folder(tmp_path, '[[ai_centre]]\nname = "DC-1"\nzone = "Gwadar"\nfirm_mw = 30.0\nuptime = 0.99\n')
    with pytest.raises(InputError) as e:
        load_scenario(folder)
    msg = str(e.value)
    assert "scenario.toml: ai_centre[0].zone" in msg and "'Gwadar'" in msg and "Thar" in msg


def test_ai_centre_over_its_zones_limit_or_in_a_zone_without_ai_is_reported(tmp_path):
    folder = _folder(tmp_path, '[[ai_centre]]\nname = "DC-1"\nzone = "Thar"\nfirm_mw = 150.0\nuptime = 1.0\n'
                               '[[ai_centre]]\nname = "DC-2"\nzone = "Tarbela"\nfirm_mw = 10.0\nuptime = 1.0\n')
    with pytest.raises(InputError) as e:
        load_scenario(folder)
    msg = str(e.value)
    assert "AI firm load 150 MW exceeds zone Thar's connection limit 100 MW" in msg
    assert "ai_centre[1].zone: zone 'Tarbela' has ai_allowed = false" in msg


def test_planner_keeps_each_ai_centre_in_its_zone(tmp_path):
    folder = _folder(tmp_path, '[[ai_centre]]\nname = "DC-1"\nzone = "Jamshoro"\nfirm_mw = 40.0\nuptime = 0.5\n'
                               '[[ai_centre]]\nname = "DC-2"\nzone = "Jamshoro"\nfirm_mw = 20.0\nuptime = 1.0\n')
    s = load_scenario(folder)
    assert s.ai.firm_mw == pytest.approx(60.0) and s.ai.uptime == pytest.approx(40.0 / 60.0)
    r = planner.plan(s)
    ai = dict(zip(r.zones, r.ai_mw, strict=True))
    assert ai["Jamshoro"] == pytest.approx(60.0, abs=1e-6)
    assert ai["Thar"] == pytest.approx(0.0, abs=1e-6) and ai["Tarbela"] == pytest.approx(0.0, abs=1e-6)
