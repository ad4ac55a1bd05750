"""Use case: what this installation has of each kind of bundle part, read from its pillars' use cases.

Export puts these in a bundle; import diffs a bundle's parts against them. Every reader returns plain JSON (the
part's content) or None when this installation has nothing of the kind (no register entries, no statement).
"""

from __future__ import annotations

import inspect
import json
import tempfile
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from biplomacy.aml import evaluate as aml_evaluate
from biplomacy.aml.scan import RULES, shipped_thresholds_text, thresholds
from biplomacy.core.errors import InputError
from biplomacy.core.networks import is_rehearsal
from biplomacy.core.provenance import load_registry
from biplomacy.reserve import policy_rules
from biplomacy.reserve import statements as reserve_statements
from biplomacy.store.db import Store
from biplomacy.supervision import licensing
from biplomacy.supervision.register import register_view

EVALUATION = {"transactions": 20_000, "vasps": 3, "seed": 1}  # the labelled set scored when no file is given
SCENARIO = "pakistan-2025"


def policy_profiles(_store: Store | None) -> dict[str, Any]:
    return policy_rules.profiles_as_rules()


def aml_rules(_store: Store | None, evaluation_file: Path | None = None, *, scores: bool = True) -> dict[str, Any]:
    """The AML thresholds in force, what each rule looks for, and the rules' scores as `supervise aml evaluate`
    reports them: from `evaluation_file` (its --json output) or measured here on a generated labelled set
    (`scores=False`: without them, for a diff)."""
    text = shipped_thresholds_text()
    th = thresholds()
    if not scores:
        evaluation: dict[str, Any] = {}
        setup: dict[str, Any] = {}
    elif evaluation_file is not None:
        evaluation, setup = _read_evaluation(evaluation_file), {"file": evaluation_file.name}
    else:
        with tempfile.TemporaryDirectory(prefix="biplomacy-bundle-") as tmp:
            folder = Path(tmp)
            aml_evaluate.generate_files(folder, **EVALUATION)
            evaluation = aml_evaluate.evaluate_files(folder / "transactions.csv", folder / "labels.csv").to_json()
        setup = {"generated": dict(EVALUATION), "command": "biplomacy supervise aml generate --transactions 20000 "
                                                           "--vasps 3 --seed 1; supervise aml evaluate"}
    return {"thresholds_version": th.version,
            "thresholds": {k: v for k, v in tomllib.loads(text).items() if isinstance(v, (int, float))},
            "thresholds_toml": text,
            "typologies": [{"rule": rule.name, "description": _rationale(rule.scan)} for rule in RULES],
            "evaluation": {"setup": setup, "typologies": evaluation.get("typologies", {}),
                           "transactions": evaluation.get("transactions"), "alerts": evaluation.get("alerts")}}


def _rationale(scan: Any) -> str:
    """A rule's rationale: the first paragraph of its module's docstring (one module per rule)."""
    doc = inspect.getdoc(inspect.getmodule(scan)) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _read_evaluation(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not the JSON `supervise aml evaluate --json` prints ({exc})",
                         field="aml_evaluation") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("typologies"), dict):
        raise InputError(f"{path}: has no 'typologies' object (the output of `supervise aml evaluate --json`)",
                         field="aml_evaluation")
    return doc


def licensing_rules(_store: Store | None) -> dict[str, Any]:
    """The licence state machine (every allowed move) and the document checklist per activity."""
    states = list(licensing.State)
    moves = []
    for a in states:
        for b in states:
            try:
                action = licensing.transition_permission(a, b, "reason", ["condition"])
            except InputError:
                continue
            moves.append({"from": a.value, "to": b.value, "permission": action})
    checklist = []
    for act in licensing.Activity:
        for doc in licensing.required_documents([act]):
            checklist.append({"item": f"{act.value}:{doc}", "activity": act.value, "document": doc})
    return {"states": [s.value for s in states], "transitions": moves, "checklist": checklist,
            "service_days": {s.value: d for s, d in licensing.service_days().items()}}


def register_extract(store: Store | None) -> dict[str, Any] | None:
    if store is None:
        return None
    view = register_view(store)
    if not view.entities:
        return None
    keep = ("reference", "legal_name", "lei", "country", "activities", "authorised_on", "conditions", "fictional")
    entries = [e.to_json() for e in view.entities]
    return {"as_of": view.as_of.isoformat(), "authority": view.authority,
            "entries": [{"name": e["legal_name"], "status": e["status"], **{k: e[k] for k in keep}} for e in entries]}


def energy_scenario(_store: Store | None) -> dict[str, Any]:
    """The shipped scenario as written, its tariff options, and how the planner tests a tariff for a subsidy."""
    text = (resources.files("biplomacy") / "data" / "scenarios" / SCENARIO / "scenario.toml").read_text("utf-8")
    doc = tomllib.loads(text)
    return {"name": SCENARIO, "scenario_toml": text,
            "tariffs": [{"name": str(t["name"]), "pkr_per_kwh": str(t["pkr_per_kwh"])} for t in doc.get("tariff", [])],
            "tariff_method": [
                "each hour's added load is priced along the merit order of grid.csv's plants, on top of demand",
                "subsidy: per hour mined, what the mining MWh cost along the merit order less what the tariff pays, "
                "summed over the hours where that is positive",
                "shortfalls: the tariff against the average purchase cost and the full cost of service, per kWh"]}


def reserve_statement(store: Store | None) -> dict[str, Any] | None:
    if store is None:
        return None
    doc = reserve_statements.latest(store)
    if doc is None:
        return None
    # A statement on the rehearsal chain (regtest) is a rehearsal, never a national figure.
    return {"statement": doc, "rehearsal": is_rehearsal(str(doc.get("network") or "").lower())}


def cited_facts(_store: Store | None) -> dict[str, Any]:
    return {"facts": [f.as_dict() for f in load_registry().for_pillar("peers")]}


Reader = Callable[[Store | None], dict[str, Any] | None]
# part name -> (kind, reader); a part's name is its kind here (one of each per bundle).
READERS: dict[str, Reader] = {
    "policy-profiles": policy_profiles,
    "aml-rules": aml_rules,
    "licensing": licensing_rules,
    "register-extract": register_extract,
    "energy-scenario": energy_scenario,
    "reserve-statement": reserve_statement,
    "cited-facts": cited_facts,
}


def source_keys(name: str, content: dict[str, Any]) -> list[str]:
    """The registry keys a part rests on, for the manifest's sources."""
    if name == "cited-facts":
        return [str(f["key"]) for f in content["facts"]]
    if name == "policy-profiles":
        return [str(f["key"]) for f in content["figures"]]
    if name == "energy-scenario":
        return [str(k) for k in tomllib.loads(content["scenario_toml"]).get("source_keys", [])]
    if name == "licensing":
        return list(licensing.SERVICE_DAYS_KEYS.values())
    return []
