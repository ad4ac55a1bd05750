"""Use cases name the field at fault, not a CLI flag: field "plan", the message not starting with "--plan:".
The CLI puts its flag in front (cli/main.py `phrase`), so what it prints is what it printed before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from biplomacy.cli.main import phrase
from biplomacy.core.errors import InputError
from biplomacy.energy.economics import asic_economics_report, expected_btc_report
from biplomacy.energy.model import planner
from biplomacy.energy.model.plan_inputs import PlanEconomics
from biplomacy.energy.model.scenario import load_scenario
from biplomacy.energy.plan_files import check_out_dir
from biplomacy.energy.risk import run_risk
from biplomacy.energy.risk_files import check_chart_path
from tests.energy.plan.conftest import write_scenario


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    n = 24
    return write_scenario(tmp_path / "s", demand=[700.0] * n, hydro=[600.0 + 10 * t for t in range(n)],
                          rlng=[200.0] * n, cap=150.0)


CASES: dict[str, tuple[str, str, Callable[[Path], object]]] = {  # case: (energy command, its flag, the call)
    "hashrate": ("expected-btc", "--hashrate", lambda f: expected_btc_report("fast", "1T", 1)),
    "difficulty": ("expected-btc", "--difficulty", lambda f: expected_btc_report("1EH/s", "0", 1)),
    "days": ("expected-btc", "--days", lambda f: expected_btc_report("1EH/s", "1T", -1)),
    "fees": ("expected-btc", "--fees-btc-per-block", lambda f: expected_btc_report("1EH/s", "1T", 1, fees_btc_per_block=-1)),
    "start height": ("expected-btc", "--start-height", lambda f: expected_btc_report("1EH/s", "1T", 1, start_height=-1)),
    "asic": ("economics", "--asic", lambda f: asic_economics_report("S99")),
    "pue": ("economics", "--pue", lambda f: asic_economics_report("S21", pue=0.5)),
    "btc price": ("economics", "--btc-price-usd", lambda f: asic_economics_report("S21", btc_price_usd=0)),
    "economics hashrate": ("economics", "--hashrate", lambda f: asic_economics_report("S21", hashrate="1XH/s")),
    "scenario": ("plan", "--scenario", lambda f: load_scenario(f / "atlantis")),
    "objective": ("plan", "--objective", lambda f: planner.build(load_scenario(f), "max")),
    "tariff": ("risk", "--tariff", lambda f: run_risk(f, tariff="free", paths=10)),
    "energy price": ("risk", "--energy-price-usd-mwh", lambda f: run_risk(f, energy_price_usd_mwh=-1, paths=10)),
    "plan without a database": ("risk", "--plan", lambda f: run_risk(plan="1", store=None, paths=10)),
    "stored inputs": ("risk", "--plan", lambda f: PlanEconomics.from_json({"format": 99}, "plan 1 (base)")),
    "out": ("plan", "--out", lambda f: check_out_dir(f / "grid.csv")),
    "chart": ("risk", "--chart", lambda f: check_chart_path(f / "fan.gif")),
}


@pytest.mark.parametrize("case", CASES)
def test_a_use_case_names_the_field_and_the_cli_its_flag(folder, case):
    command, flag, call = CASES[case]
    with pytest.raises(InputError) as e:
        call(folder)
    field = flag.removeprefix("--").replace("-", "_")
    assert e.value.field == field
    assert not str(e.value).startswith(("-", f"{field}:"))
    assert phrase(e.value, ["energy", command]) == f"{flag}: {e.value}"
