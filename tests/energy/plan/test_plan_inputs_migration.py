"""0008_energy_plan_inputs: plans stored before it keep working (no stored inputs), and it goes down cleanly."""

from __future__ import annotations

from sqlalchemy import inspect, text

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.energy.plan import get_plan, get_plan_with_inputs, keep_plan, list_plans, plan_scenario
from biplomacy.store import migrate


def _columns(store) -> set[str]:
    return {c["name"] for c in inspect(store.engine).get_columns("energy_plans")}


def _indexes(store) -> set[str]:
    return {i["name"] for i in inspect(store.engine).get_indexes("energy_plans")}


def test_down_to_0002_and_up_again_keeps_the_plans(store, small_scenario, tmp_path):
    solved = plan_scenario(LOCAL_ADMIN, str(small_scenario))
    pid = keep_plan(store, LOCAL_ADMIN, solved, out_dir=tmp_path / "o", name="kept")
    assert "inputs_json" in _columns(store)
    assert {"ix_energy_plans_name", "ix_energy_plans_scenario"} <= _indexes(store)
    migrate.downgrade(store, "0002_energy")
    assert "inputs_json" not in _columns(store) and not _indexes(store) & {"ix_energy_plans_name"}
    with store.engine.connect() as c:  # the plan is still there, as the 0002 schema has it
        assert c.execute(text("SELECT name FROM energy_plans")).scalars().all() == ["kept"]
    migrate.upgrade(store)
    assert migrate.current_heads(store) == migrate.script_heads()
    plan, kept = get_plan_with_inputs(store, "kept")
    assert kept is None and plan.id == pid  # read as a plan stored before its inputs were kept
    assert get_plan(store, str(pid)).summary == solved.summary
    assert len(list_plans(store)) == 1
