"""A stored plan is found by key: by id when the reference is an id as written, else the oldest plan of that name."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from biplomacy.core.errors import NotFound
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.energy.plan import (
    compare_plans,
    get_plan,
    get_plan_with_inputs,
    keep_plan,
    latest_plan_of,
    list_plans,
    plan_id,
    plan_scenario,
)
from biplomacy.energy.results import ComparedFigure
from biplomacy.energy.tables import EnergyPlanRow


@pytest.fixture
def three_plans(store, small_scenario, tmp_path):
    """Plans 1 and 2 share the default name "small (net-value)"; plan 3 is named "1"."""
    solved = plan_scenario(LOCAL_ADMIN, str(small_scenario))
    return [keep_plan(store, LOCAL_ADMIN, solved, out_dir=tmp_path / f"o{i}", name=name)
            for i, name in enumerate((None, None, "1"))]


def test_an_id_finds_its_plan_and_a_shared_name_the_oldest_of_that_name(store, three_plans):
    first, second, third = three_plans
    assert three_plans == [1, 2, 3]  # a fresh database
    assert get_plan(store, str(second)).id == second
    assert get_plan(store, "small (net-value)").id == first  # two plans of that name: the first stored
    assert get_plan(store, str(third)).name == "1"
    # "1" is plan 1's id and plan 3's name: the id wins; a name that is no id ("01") is looked up as a name
    assert get_plan(store, "1").id == first
    with pytest.raises(NotFound, match="'01'"):
        get_plan(store, "01")


def test_a_plan_reads_the_same_as_its_row_of_the_list(store, three_plans):
    listed = {p.id: p for p in list_plans(store)}
    for pid in three_plans:
        assert get_plan(store, str(pid)) == listed[pid]


@pytest.mark.parametrize("ref", ["999", "0", "-1", str(2**31), "9" * 40, "", "small", "\u0661"])
def test_an_unknown_reference_is_not_found_naming_it(store, three_plans, ref):
    with pytest.raises(NotFound, match="no stored plan"):
        get_plan(store, ref)
    assert len(list_plans(store)) == 3


def test_plan_id_takes_only_ids_as_written():
    assert [plan_id(r) for r in ("7", "07", "+7", " 7", "7.0", "\u0667", str(2**31 - 1), str(2**31))] == [
        7, None, None, None, None, None, 2**31 - 1, None]


def test_new_plans_keep_their_inputs_and_the_newest_plan_of_a_scenario_is_found_by_key(store, three_plans):
    plan, kept = get_plan_with_inputs(store, str(three_plans[0]))
    assert kept is not None and kept["scenario"] == "small" and kept["zone_pue"] == {"A": 1.05, "B": 1.05}
    assert [t["name"] for t in kept["tariffs"]] == ["cheap", "full"]
    newest = latest_plan_of(store, "small", plan.inputs_sha256)
    assert newest is not None and newest.id == three_plans[-1]
    assert latest_plan_of(store, "small", "0" * 64) is None and latest_plan_of(store, "other", plan.inputs_sha256) is None


def test_compare_shows_both_net_values_and_reads_plans_stored_before_they_were_named(store, three_plans):
    first, second, _ = three_plans
    with store.transaction() as s:  # plan 2 as stored before: its LP objective was net_value_usd_per_year
        row = s.execute(select(EnergyPlanRow).where(EnergyPlanRow.id == second)).scalar_one()
        summary = json.loads(row.summary_json)
        lp = summary.pop("lp_objective_usd_per_year")
        summary.pop("net_value_at_merit_order_usd_per_year")
        summary["net_value_usd_per_year"] = lp
        s.execute(update(EnergyPlanRow).where(EnergyPlanRow.id == second).values(summary_json=json.dumps(summary),
                                                                                  inputs_json=None))
    d = compare_plans(store, str(first), str(second))
    rows = {r.figure: r for r in d.rows}
    assert rows["objective"] == ComparedFigure("objective", "net-value", "net-value", "Planner's objective", "", None)
    assert rows["lp_objective_usd_per_year"].a == rows["lp_objective_usd_per_year"].b == lp
    assert rows["lp_objective_usd_per_year"].difference == 0 and rows["lp_objective_usd_per_year"].unit == "USD a year"
    assert rows["net_value_at_merit_order_usd_per_year"].a >= lp
    assert rows["net_value_at_merit_order_usd_per_year"].b is None
    assert rows["net_value_at_merit_order_usd_per_year"].difference is None
    assert "net_value_usd_per_year" not in rows
    assert d.to_json()["rows"][0] == {"figure": "objective", "a": "net-value", "b": "net-value",
                                      "label": "Planner's objective", "unit": "", "difference": None}
    tariff = rows["tariff_pkr_per_kwh[cheap]"]
    assert tariff.label == "Tariff cheap" and tariff.unit == "PKR per kWh" and tariff.difference == 0


def test_a_plan_is_a_draft_until_adopted_and_adopting_another_withdraws_the_first(store, three_plans):
    from biplomacy.core.errors import PermissionDenied
    from biplomacy.core.permissions import Actor
    from biplomacy.energy.plan import adopt_plan, adopted_plan

    first, second, _ = three_plans
    assert adopted_plan(store) is None and {p.status for p in list_plans(store)} == {"draft"}
    with pytest.raises(PermissionDenied):
        adopt_plan(store, Actor("ana", "analyst"), str(first))
    admin = Actor("ops", "admin")
    assert adopt_plan(store, admin, str(first)).status == "adopted"
    assert adopt_plan(store, admin, str(second)).adopted_by == "ops"
    found = adopted_plan(store)
    assert found is not None and found.id == second
    assert [p.status for p in list_plans(store)] == ["draft", "adopted", "draft"]
    assert get_plan(store, str(second)).to_json()["status"] == "adopted"


def test_the_index_lists_every_plan_as_the_full_list_does_without_summaries(store, three_plans):
    from biplomacy.energy.plan import plan_index

    assert plan_index(store) == [p.entry for p in list_plans(store)]
