"""Use case: the IMF review pack, from stored inputs alone (nothing is solved, fetched or simulated here).

Reads each pillar through its use cases: the newest stored energy plan (the subsidy verdict per tariff with its
range, grid strain), the reserve ledger against the policy profiles in force (holdings by source, every flag,
the latest signed statement), the register and the returns (supervision statistics), the audit log's head,
and every source they cite. The result is one JSON-able document; review_files.py renders it as HTML and PDF,
the portal as a page. Rehearsal (regtest/signet/testnet) figures are labelled rehearsal wherever they appear.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from biplomacy import __version__
from biplomacy.core.jsonable import to_jsonable
from biplomacy.core.permissions import Actor, authorize
from biplomacy.core.provenance import load_registry
from biplomacy.energy.plan import newest_plan
from biplomacy.house import audit
from biplomacy.reserve import policy_rules
from biplomacy.reserve import statements as reserve_statements
from biplomacy.reserve.transparency import public_holdings, public_wallets
from biplomacy.store.db import Store
from biplomacy.supervision.register import register_view
from biplomacy.supervision.returns import dashboard

FORMAT = "biplomacy-review-pack/1"
REAL_NETWORKS = ("bitcoin", "mainnet")
BN = 1_000_000_000


def build_pack(store: Store, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """The pack's document: every section with the figures it shows and the registry keys it cites."""
    authorize(actor, "audit.read")
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    energy, energy_keys = _energy(store)
    reserve, reserve_keys = _reserve(store)
    supervision, supervision_keys = _supervision(store, at)
    trail = _audit(store)
    keys = list(dict.fromkeys([*energy_keys, *reserve_keys, *supervision_keys]))
    return to_jsonable({
        "format": FORMAT, "generated_at": at.isoformat(), "generated_by": actor.name, "software": __version__,
        "energy": energy, "reserve": reserve, "supervision": supervision, "audit": trail,
        "sources": load_registry().cited(keys),
    })


def _energy(store: Store) -> tuple[dict[str, Any], list[str]]:
    plan = newest_plan(store)
    if plan is None:
        return {"plan": None, "note": "no stored energy plan: `biplomacy energy plan --scenario pakistan-2025` "
                                      "stores one"}, []
    s = plan.summary
    kept = plan.stored_summary
    tariffs = []
    for t in s.tariffs:
        low = t.subsidy_vs_marginal_pkr
        high = max(low, t.shortfall_vs_average_cost_pkr, t.shortfall_vs_cost_of_service_pkr)
        tariffs.append({"name": t.name, "pkr_per_kwh": t.pkr_per_kwh, "verdict": t.verdict,
                        "subsidy_at_margin_pkr_bn": round(low / BN, 3),
                        "shortfall_vs_average_cost_pkr_bn": round(t.shortfall_vs_average_cost_pkr / BN, 3),
                        "shortfall_vs_cost_of_service_pkr_bn": round(t.shortfall_vs_cost_of_service_pkr / BN, 3),
                        "range_pkr_bn": [round(low / BN, 3), round(high / BN, 3)],
                        "hours_subsidised": t.hours_subsidised, "energy_mwh": round(t.energy_mwh, 1)})
    strain = s.strain
    spread = {k: kept[k] for k in ("btc_per_year_p5", "btc_per_year_p50", "btc_per_year_p95", "btc_per_year_static")
              if k in kept}
    doc = {"plan": {"id": plan.id, "name": plan.name, "scenario": plan.scenario, "objective": plan.objective,
                    "stored_at": plan.created_at.replace(microsecond=0).isoformat(), "inputs_sha256": plan.inputs_sha256},
           "mining_mw_installed": s.mining_mw_installed, "ai_mw_installed": s.ai_mw_installed,
           "expected_btc_per_year": s.expected_btc_per_year, "btc_per_year_spread": spread,
           "tariffs": tariffs,
           "range_note": "the subsidy at the margin (each mined MWh priced along the merit order) is the low end; the "
                         "shortfall against the full cost of service the high end",
           "strain": {"share_of_surplus_used": round(strain.share_of_surplus_used, 4),
                      "peak_hours": strain.peak_hours, "peak_hours_with_added_load": strain.peak_hours_with_added_load,
                      "non_surplus_mwh": round(strain.non_surplus_mwh, 1),
                      "non_surplus_max_mw": round(strain.non_surplus_max_mw, 1),
                      "curtailment_hours_by_zone": dict(strain.curtailment_hours_by_zone)}}
    return doc, [str(x["key"]) for x in s.sources]


def _reserve(store: Store) -> tuple[dict[str, Any], list[str]]:
    data = public_holdings(store)
    wallets = public_wallets(store, data)
    rehearsal = sorted({w.name for w in wallets if w.network not in REAL_NETWORKS})
    in_force = sorted({w.policy for w in wallets})
    rules = {p["name"]: p["rules"] for p in policy_rules.profiles_as_rules()["profiles"] if p["name"] in in_force}
    flags = [{"wallet": e.wallet, "txid": e.txid, "vout": e.vout, "btc": e.btc, "source": e.source,
              "first_seen": e.first_seen, "flags": list(e.flags), "rehearsal": e.wallet in rehearsal}
             for e in data.flagged]
    statement = reserve_statements.latest(store)
    return {
        "rehearsal": bool(rehearsal) and len(rehearsal) == len(wallets),
        "rehearsal_wallets": rehearsal,
        "total_btc": data.total_btc, "value_usd": data.value_usd, "price_usd": data.price_usd,
        "price_date": data.price_date,
        "by_source": [{"source": x.source, "btc": x.btc} for x in data.by_source],
        "wallets": [{"name": w.name, "policy": w.policy, "threshold": w.threshold, "signers": len(w.signers),
                     "network": w.network, "balance_btc": w.balance_btc, "rehearsal": w.name in rehearsal}
                    for w in wallets],
        "profiles_in_force": [{"profile": p, "rules": rules.get(p, [])} for p in in_force],
        "flags": flags, "flag_count": len(flags),
        "statement": None if statement is None else {
            k: statement.get(k) for k in ("id", "wallet", "network", "height", "block_hash", "total_sats",
                                          "threshold", "finalized_at") if k in statement},
    }, [str(x["key"]) for x in data.sources] + list(policy_rules.figure_keys())


def _supervision(store: Store, at: datetime) -> tuple[dict[str, Any], list[str]]:
    view = register_view(store, as_of=at.date())
    by_status = Counter(e.status.value for e in view.entities)
    by_activity = Counter(a.value for e in view.entities for a in e.activities)
    board = dashboard(store)
    returns = board.returns
    return {
        "as_of": view.as_of.isoformat(), "authority": view.authority,
        "entities": len(view.entities), "fictional_entities": sum(1 for e in view.entities if e.fictional),
        "by_status": dict(sorted(by_status.items())), "by_activity": dict(sorted(by_activity.items())),
        "warnings": len(view.warnings),
        "returns": {"filed": len(returns), "late": sum(1 for r in returns if r.late),
                    "complaints_open": sum(r.complaints_open for r in returns),
                    "incidents": sum(r.incidents for r in returns),
                    "periods": sorted({r.period for r in returns})},
        "solvency_reports": {"recorded": len(board.solvency), "not_solvent": sum(1 for s in board.solvency
                                                                                if not s.solvent)},
        "stablecoin_attestations": {"recorded": len(board.stablecoins),
                                    "non_compliant": sum(1 for a in board.stablecoins if not a.compliant)},
    }, [str(s["key"]) for s in view.sources]


def _audit(store: Store) -> dict[str, Any]:
    with store.read() as s:
        result = audit.verify(audit.entries(s))
        last = audit.head(s)
    return {"entries": result.count, "valid": result.ok, "head_hash": result.head_hash,
            "head_seq": None if last is None else last.seq, "head_at": None if last is None else last.at,
            "first_bad_seq": result.first_bad_seq, "reason": result.reason}


IGNORED = ("generated_at", "generated_by")


def check_pack(doc: Any, where: str) -> dict[str, Any]:
    """A review pack's document as written (review.json), or InputError naming the file."""
    from biplomacy.core.errors import InputError

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{where}: not a review pack's review.json ({FORMAT})", field="pack")
    return doc


def diff_packs(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed from the earlier pack to the later one: every figure by path, the audit log's growth."""
    from biplomacy.peers.json_diff import changes

    strip = [{k: v for k, v in p.items() if k not in IGNORED} for p in (before, after)]
    found = changes(strip[0], strip[1])
    return {"from": before.get("generated_at"), "to": after.get("generated_at"),
            "audit": {"entries_before": before["audit"]["entries"], "entries_after": after["audit"]["entries"],
                      "head_before": before["audit"]["head_hash"], "head_after": after["audit"]["head_hash"]},
            "changes": found, "changed": len(found)}
