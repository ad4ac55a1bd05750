"""The public view of the reserve: holdings over time, by source and wallet, policies in force, as data and a chart."""

from __future__ import annotations

import csv
import io
from typing import Any

from biplomacy.adapters.store.db import Store
from biplomacy.provenance import load_registry
from biplomacy.reserve.policy import PROFILES
from biplomacy.services.reserve_holdings import holdings
from biplomacy.services.reserve_wallets import list_wallets

POLICY_FACTS = {
    "imf-no-accumulation": ["reserve.policy.imf_el_salvador_eff_usd", "reserve.policy.el_salvador_holdings_btc"],
    "us-eo-no-sale": ["reserve.policy.us_eo_date"],
    "bhutan": ["reserve.policy.bhutan_holdings_btc"],
    "pakistan-draft": ["reserve.policy.pakistan_tier1_btc", "reserve.policy.pakistan_tier2_btc",
                       "reserve.policy.pakistan_fx_reserves_usd", "reserve.policy.pakistan_cap_share_of_fx"],
}
CSV_COLUMNS = ("wallet", "txid", "vout", "address", "btc", "sats", "source", "zone", "status", "height", "first_seen")


def history_chart(history: list[dict[str, Any]]) -> dict[str, Any]:
    """A Vega-Lite step chart of total holdings over time (one spec for the page and any export)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Reserve holdings over time, in BTC",
        "width": "container", "height": 220,
        "data": {"values": [{"day": h["day"], "btc": float(h["btc"])} for h in history]},
        "mark": {"type": "line", "interpolate": "step-after", "point": True},
        "encoding": {"x": {"field": "day", "type": "temporal", "title": "day"},
                     "y": {"field": "btc", "type": "quantitative", "title": "BTC held"}},
    }


def public_holdings(store: Store) -> dict[str, Any]:
    """What anyone may see: totals, by source and wallet, history, vanished receipts; addresses only where public."""
    data = holdings(store, None, public=True)
    data["chart"] = history_chart(data["history"])
    return data


def public_wallets(store: Store, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The wallets as the public sees them (`data`: public_holdings already computed, to reuse its balances)."""
    by_name = {w["wallet"]: w for w in (data or holdings(store, None, public=True))["by_wallet"]}
    out = []
    for w in list_wallets(store):
        item = {"name": w["name"], "threshold": w["threshold"], "signers": w["signers"], "policy": w["policy"],
                "network": w["network"], "balance_btc": by_name.get(w["name"], {}).get("btc", "0")}
        if w["public_addresses"]:
            item["descriptor"] = w["descriptor"]
        out.append(item)
    return out


def policy_sources(profiles: list[str]) -> list[dict[str, object]]:
    keys = [k for p in profiles if p in PROFILES for k in POLICY_FACTS[p]]
    return load_registry().cited(keys)


def holdings_csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in data["entries"]:
        writer.writerow(["" if e[c] is None else e[c] for c in CSV_COLUMNS])
    return buffer.getvalue()
