"""Use case: what-ifs that transplant one program's choices onto another, each a stored, reproducible run.

    sv-accumulation   El Salvador's 1 BTC a day (and its lump purchases) run through this program's reserve
                      policy profiles (Pakistan's draft and the IMF's no-accumulation rule): what each flags, when.
    bt-hydro          Bhutan's model (state mining on hydro surplus at its MW, no AI load) on Pakistan's grid:
                      the energy planner at the hydro zone, then the risk model; the winter share of the MWh.
    pk-geothermal     Pakistan's 2,000 MW fleet paying El Salvador's geothermal cost instead of the tariff.

Each run keeps its inputs (with their sources) and its result; `rerun` runs the inputs again and says whether the
result is the same. Every result says `what_if: true` and its title starts "WHAT-IF": it is never a national or
a planned figure of this program.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.energy.plan import plan_scenario
from biplomacy.energy.risk import run_risk
from biplomacy.house.audit import record
from biplomacy.peers.history import shipped_events
from biplomacy.peers.model.bundle import content_hash
from biplomacy.peers.model.whatifs import accumulation, to_sats, transplant_scenario, winter_share
from biplomacy.peers.tables import WhatIfRow
from biplomacy.reserve import policy_rules
from biplomacy.reserve.price import PRICE_FACT, btc_price
from biplomacy.store.db import Store

SCENARIO = "pakistan-2025"
RISK = {"paths": 2000, "years": 5.0, "seed": 1}


def _event(event_id: str) -> dict[str, str]:
    e = next(x for x in shipped_events() if x.id == event_id)
    return {"event": e.id, "date": e.date, "value": e.value or "", "source": e.cite()}


def _fact(key: str) -> dict[str, str]:
    f = load_registry().get(key)
    return {"key": f.key, "value": f.value, "unit": f.unit, "date": f.date, "source": f.cite()}


def sv_accumulation_inputs(store: Store | None = None, end: str = "2028-12-31") -> dict[str, Any]:
    """The inputs, BTC valued at the portal's one price (reserve/price.py: imported, else the cited snapshot), which
    they keep with its date so that a rerun prices the same."""
    start, lump = _event("sv-2024-12-19-purchase"), _event("sv-2025-11-18-purchase")
    price = btc_price(store)
    return {"start": start["date"], "start_btc": start["value"], "daily_btc": "1",
            "lumps": [[lump["date"], "1090"]], "end": end,
            "profiles": ["pakistan-draft", "imf-no-accumulation"],
            "btc_usd": format(price.usd, "f"), "btc_usd_date": price.date,
            "sources": [start, lump, _fact("peers.sv.daily_addition_btc"),
                        *[_fact(k) for k in policy_rules.figure_keys() if not price.imported or k != PRICE_FACT],
                        *([{"key": "imported BTC price", "value": format(price.usd, "f"), "unit": "USD",
                            "date": price.day, "source": price.date}] if price.imported else [])]}


def run_sv_accumulation(inputs: dict[str, Any], _actor: Actor) -> dict[str, Any]:
    try:
        start, end = date.fromisoformat(inputs["start"]), date.fromisoformat(inputs["end"])
        lumps = [(date.fromisoformat(d), str(b)) for d, b in inputs["lumps"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"the what-if's dates are not YYYY-MM-DD ({exc})", field="end") from None
    receipts = accumulation(start, end, inputs["daily_btc"], lumps)
    price, price_date = Decimal(inputs["btc_usd"]), str(inputs.get("btc_usd_date", ""))
    profiles = []
    for profile in inputs["profiles"]:
        held = to_sats(inputs["start_btc"])
        first: dict[str, dict[str, Any]] = {}
        flagged = {"receipts": 0, "sats": 0}
        for r in receipts:
            held += r.sats
            findings = policy_rules.receipt_findings(profile, r.source, r.sats, held, price, price_date)
            if findings:
                flagged["receipts"] += 1
                flagged["sats"] += r.sats
            for f in findings:
                first.setdefault(f["rule"], {"date": r.day.isoformat(), "severity": f["severity"],
                                             "message": f["message"], "holdings_btc": _btc(held)})
        profiles.append({"profile": profile, "first_flags": first, "flagged_receipts": flagged["receipts"],
                         "flagged_btc": _btc(flagged["sats"]), "receipts": len(receipts),
                         "holdings_at_end_btc": _btc(held)})
    at_lump = to_sats(inputs["start_btc"]) + sum(r.sats for r in receipts if r.day <= lumps[0][0]) if lumps else None
    return {"profiles": profiles,  # the price is in the inputs (a run stored before it was dated reruns the same)
            "modelled_vs_published": None if at_lump is None else {
                "date": lumps[0][0].isoformat(), "modelled_btc": _btc(at_lump),
                "published_btc": _event("sv-2025-11-18-purchase")["value"],
                "note": "1 BTC a day and the lump reproduce the Office's series only roughly; the IMF says the "
                        "public sector's stock did not grow at all (data/peers/history.toml)"}}


def _btc(sats: int) -> str:
    return format(Decimal(sats) / Decimal(100_000_000), "f")


def bt_hydro_inputs(_store: Store | None = None, mw: float | None = None) -> dict[str, Any]:
    start = _fact("peers.bt.hydro_mining_mw_start")
    return {"scenario": SCENARIO, "cap_mw": float(mw if mw is not None else float(start["value"])),
            "zones": ["Tarbela"], "ai_firm_mw": 0.0, "winter_months": [11, 12, 1, 2],
            "risk": dict(RISK) | {"tariff": "incremental-package"},
            "sources": [start, _fact("peers.bt.hydro_mining_mw_target"), _event("bt-2024-09-16-mining-100mw")]}


def _scenario_copy(folder: Path, inputs: dict[str, Any]) -> Path:
    shipped = resources.files("biplomacy") / "data" / "scenarios" / inputs["scenario"]
    target = folder / "bt-hydro-on-pakistan"
    target.mkdir()
    text = (shipped / "scenario.toml").read_text(encoding="utf-8")
    (target / "scenario.toml").write_text(transplant_scenario(
        text, name="what-if-bt-hydro-on-pakistan", cap_mw=inputs["cap_mw"], zones=inputs["zones"],
        ai_firm_mw=inputs["ai_firm_mw"]), encoding="utf-8")
    with resources.as_file(shipped / "grid.csv") as grid:
        shutil.copyfile(grid, target / "grid.csv")
    return target


def run_bt_hydro(inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    if not 0 < float(inputs["cap_mw"]) <= 5000:
        raise InputError("the transplanted mining capacity must be between 0 and 5,000 MW", field="mw")
    with tempfile.TemporaryDirectory(prefix="biplomacy-whatif-") as tmp:
        folder = _scenario_copy(Path(tmp), inputs)
        plan = plan_scenario(actor, folder)
        risk = run_risk(folder, tariff=inputs["risk"]["tariff"], paths=inputs["risk"]["paths"],
                        years=inputs["risk"]["years"], seed=inputs["risk"]["seed"])
    summary = plan.summary.to_json()
    keep = ("mining_mw_installed", "mining_mwh_per_year", "expected_btc_per_year",
            "expected_btc_per_year_after_self_dilution", "btc_per_year_p5", "btc_per_year_p50", "btc_per_year_p95",
            "subsidy_pkr_per_year", "strain")
    return {"plan": {k: summary[k] for k in keep if k in summary},
            "tariffs": [{"name": t["name"], "verdict": t["verdict"],
                         "subsidy_vs_marginal_pkr": t["subsidy_vs_marginal_pkr"]} for t in summary["tariffs"]],
            "winter_share_of_mwh": round(winter_share(plan.chart_data.monthly_mwh, inputs["winter_months"]), 4),
            "risk": _risk(risk.to_json())}


def _risk(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("btc_mined", "revenue_usd", "npv_usd", "energy_cost_usd", "probability_of_loss",
                                "share_of_days_mining", "tariff", "paths", "years", "seed") if k in doc}


def pk_geothermal_inputs(_store: Store | None = None) -> dict[str, Any]:
    cost = _fact("peers.geothermal.lcoe_usd_mwh")
    return {"scenario": SCENARIO, "energy_price_usd_mwh": float(cost["value"]), "compare_tariff": "incremental-package",
            "risk": dict(RISK), "sources": [cost, _fact("peers.sv.geothermal_capacity_mw"),
                                            _fact("house.pk.mining_ai_allocation_mw")]}


def run_pk_geothermal(inputs: dict[str, Any], _actor: Actor) -> dict[str, Any]:
    r = inputs["risk"]
    at_cost = run_risk(inputs["scenario"], energy_price_usd_mwh=inputs["energy_price_usd_mwh"], **r)
    at_tariff = run_risk(inputs["scenario"], tariff=inputs["compare_tariff"], **r)
    a, b = at_cost.to_json(), at_tariff.to_json()
    return {"at_geothermal_cost": _risk(a), "at_tariff": _risk(b),
            "npv_p50_difference_usd": a["npv_usd"]["p50"] - b["npv_usd"]["p50"],
            "fleet": {k: a["fleet"][k] for k in a["fleet"] if isinstance(a["fleet"][k], (int, float, str))}}


KINDS: dict[str, tuple[str, Callable[..., dict[str, Any]], Callable[[dict[str, Any], Actor], dict[str, Any]]]] = {
    "sv-accumulation": ("WHAT-IF: El Salvador's 1 BTC a day under Pakistan's policy profile and the IMF's "
                        "no-accumulation rule", sv_accumulation_inputs, run_sv_accumulation),
    "bt-hydro": ("WHAT-IF: Bhutan's hydro mining model on Pakistan's winter surplus", bt_hydro_inputs, run_bt_hydro),
    "pk-geothermal": ("WHAT-IF: Pakistan's 2,000 MW at El Salvador's geothermal cost", pk_geothermal_inputs,
                      run_pk_geothermal),
}


def _kind(kind: str) -> tuple[str, Callable[..., dict[str, Any]], Callable[[dict[str, Any], Actor], dict[str, Any]]]:
    if kind not in KINDS:
        raise InputError(f"unknown what-if {kind!r}; one of {', '.join(KINDS)}", field="kind")
    return KINDS[kind]


def run_whatif(store: Store, actor: Actor, kind: str, **options: Any) -> dict[str, Any]:
    """Run one what-if with its default inputs (adjusted by `options`), store it with its inputs, audited."""
    authorize(actor, "peers.whatif.run")
    title, make_inputs, run = _kind(kind)
    inputs = make_inputs(store, **{k: v for k, v in options.items() if v is not None})
    result = {"what_if": True, "title": title} | run(inputs, actor)
    now = datetime.now(UTC)
    with store.transaction() as s:
        row = WhatIfRow(kind=kind, title=title, created_at=now, created_by=actor.name,
                        inputs_sha256=content_hash(inputs), inputs_json=json.dumps(inputs, sort_keys=True),
                        result_json=json.dumps(result, sort_keys=True))
        s.add(row)
        s.flush()
        record(s, actor=actor.name, action="peers.whatif.run", subject=f"whatif/{row.id}",
               payload={"kind": kind, "inputs_sha256": row.inputs_sha256, "result_sha256": content_hash(result)})
        return _doc(row)


def _doc(row: WhatIfRow) -> dict[str, Any]:
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {"id": row.id, "kind": row.kind, "title": row.title, "what_if": True, "created_at": at.isoformat(),
            "created_by": row.created_by, "inputs_sha256": row.inputs_sha256, "inputs": json.loads(row.inputs_json),
            "result": json.loads(row.result_json)}


def list_whatifs(store: Store) -> list[dict[str, Any]]:
    with store.read() as s:
        return [_doc(r) for r in s.scalars(select(WhatIfRow).order_by(WhatIfRow.id.desc()))]


def get_whatif(store: Store, ident: int) -> dict[str, Any]:
    with store.read() as s:
        row = s.get(WhatIfRow, ident)
        if row is None:
            raise NotFound(f"no stored what-if {ident} (see `biplomacy peers whatif list`)", field="id")
        return _doc(row)


def rerun_whatif(store: Store, actor: Actor, ident: int) -> dict[str, Any]:
    """Run a stored what-if's inputs again: the same result (reproduced) or the fields that differ. Nothing stored."""
    authorize(actor, "peers.whatif.run")
    stored = get_whatif(store, ident)
    _title, _make, run = _kind(stored["kind"])
    again = {"what_if": True, "title": stored["title"]} | run(stored["inputs"], actor)
    again = json.loads(json.dumps(again, sort_keys=True))  # the stored form (tuples as lists)
    differs = sorted(k for k in again.keys() | stored["result"].keys() if again.get(k) != stored["result"].get(k))
    return {"id": ident, "what_if": True, "kind": stored["kind"], "reproduced": not differs, "differs": differs,
            "result_sha256": content_hash(stored["result"]), "rerun_sha256": content_hash(again)}
