"""The public view of the reserve: holdings over time, by source and wallet, policies in force, as data and a chart.

The page and its API answer from a `PublicView` computed once per state of the audit log: every change to
what the public sees (wallets, ledger receipts and their reorg flags, classification, prices, statements) is
audited in the transaction that makes it, so while the log's head (seq, hash) is unchanged, so is the view.
Each request reads only that head (one indexed row) and rebuilds the view when it moved (audit_cache.py).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any

from biplomacy.core.provenance import load_registry
from biplomacy.core.records import json_value
from biplomacy.house.audit_cache import Head, PerAuditHead
from biplomacy.reserve import statements as reserve_statement
from biplomacy.reserve import unauthorised_spends
from biplomacy.reserve.holdings import holdings
from biplomacy.reserve.model.ledger import btc_amount
from biplomacy.reserve.model.policy import PROFILES
from biplomacy.reserve.refresh import wallet_details
from biplomacy.reserve.results import HistoryPoint, HoldingsReport, PublicWallet
from biplomacy.store.db import Store

POLICY_FACTS = {
    "imf-no-accumulation": ["reserve.policy.imf_el_salvador_eff_usd", "reserve.policy.el_salvador_holdings_btc"],
    "us-eo-no-sale": ["reserve.policy.us_eo_date"],
    "bhutan": ["reserve.policy.bhutan_holdings_btc"],
    "pakistan-draft": ["reserve.policy.pakistan_tier1_btc", "reserve.policy.pakistan_tier2_btc",
                       "reserve.policy.pakistan_fx_reserves_usd", "reserve.policy.pakistan_cap_share_of_fx"],
}
PAGE_RECEIPTS = 50  # the page lists the latest receipts; the CSV and JSON have them all
CSV_COLUMNS = ("wallet", "txid", "vout", "address", "btc", "sats", "source", "zone", "status", "height", "first_seen")


def history_chart(history: tuple[HistoryPoint, ...]) -> dict[str, Any]:
    """A Vega-Lite step chart of total holdings over time (one spec for the page and any export)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Reserve holdings over time, in BTC",
        "width": "container", "height": 220,
        "data": {"values": [{"day": h.day, "btc": float(h.btc)} for h in history]},
        "mark": {"type": "line", "interpolate": "step-after", "point": True},
        "encoding": {"x": {"field": "day", "type": "temporal", "title": "day"},
                     "y": {"field": "btc", "type": "quantitative", "title": "BTC held"}},
    }


def public_holdings(store: Store) -> HoldingsReport:
    """What anyone may see: totals, by source and wallet, history, vanished receipts; addresses only where public."""
    data = holdings(store, None, public=True)
    return replace(data, chart=history_chart(data.history))


def public_wallets(store: Store, data: HoldingsReport | None = None) -> list[PublicWallet]:
    """The wallets as the public sees them (`data`: public_holdings already computed, to reuse its balances)."""
    balance = {w.wallet: w.btc for w in (data or holdings(store, None, public=True)).by_wallet}
    out = []
    for d in wallet_details(store):
        w, after = d.wallet, d.successor
        out.append(PublicWallet(w.name, w.threshold, w.signers, w.policy, w.network,
                                balance.get(w.name, btc_amount(0)), w.descriptor if w.public_addresses else None,
                                w.paths, d.state, after.wallet if after else None, d.predecessors,
                                after.completed_at if after else None, d.warnings))
    return out


def lifecycle(wallets: list[PublicWallet]) -> dict[str, Any]:
    """Which wallets hold the reserve now (active, or rotating: their sweep is not broadcast yet), each with
    its policy in words and its predecessors, and every rotation with its date, the latest first."""
    current = [w for w in wallets if w.state != "retired"]
    done = sorted((w for w in wallets if w.successor and w.rotated_at), key=lambda w: w.rotated_at or 0, reverse=True)
    pending = [w for w in wallets if w.successor and not w.rotated_at]
    rotations = [{"from": w.name, "to": w.successor,
                  "completed": f"{w.rotated_at:%Y-%m-%d %H:%M} UTC" if w.rotated_at else "pending (sweep not broadcast)"}
                 for w in [*pending, *done]]
    return {"current": current, "rotations": rotations, "retired": [w.name for w in wallets if w.state == "retired"]}


def policy_sources(profiles: list[str]) -> list[dict[str, object]]:
    keys = [k for p in profiles if p in PROFILES for k in POLICY_FACTS[p]]
    return load_registry().cited(keys)


def _cell(value: object) -> object:
    """A CSV cell: empty for None, BTC and USD exactly (format "f"), anything else as csv writes it."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else value


def holdings_csv(data: HoldingsReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in data.entries:
        writer.writerow([_cell(getattr(e, c)) for c in CSV_COLUMNS])
    return buffer.getvalue()


def _json_body(value: Any) -> bytes:
    """The JSON the API sends for records (Decimals as exact strings, dates in ISO 8601), serialised once."""
    return json.dumps(json_value(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, eq=False)
class PublicView:
    """What the public page and /api/v1/reserve/* show, for one state of the audit log (`head`)."""

    head: Head
    data: HoldingsReport
    wallets: list[PublicWallet]
    statement: dict[str, Any] | None  # the latest final statement, as published
    profiles: list[str] = field(default_factory=list)
    unauthorised: list[dict[str, Any]] = field(default_factory=list)  # spends no approved proposal accounts for
    rendered: dict[tuple[str, str], bytes] = field(default_factory=dict)  # the page's HTML by (name, role) looking

    @cached_property
    def page(self) -> dict[str, Any]:
        """The page's template context, but for what depends on who is asking.

        Table rows are the records' JSON (the table macro takes mappings, and shows each value as the API does).
        """
        data = self.data
        return {"data": data, "profiles": self.profiles, "statement": self.statement,
                "by_source_rows": json_value(data.by_source), "vanished_rows": json_value(data.vanished),
                "wallets_rows": [{**w.to_json(), "signer_count": len(w.signers)} for w in self.wallets],
                "latest": json_value(list(reversed(data.entries[-PAGE_RECEIPTS:]))), "receipts_shown": PAGE_RECEIPTS,
                "flagged_rows": [{**e.to_json(), "flags": "; ".join(e.flags)} for e in data.flagged],
                "facts": policy_sources(self.profiles), "lifecycle": lifecycle(self.wallets),
                "unauthorised_rows": self.unauthorised, "enforcement_rows": enforcement_rows(self.profiles),
                "audit_head": None if self.head is None else self.head[1]}

    @cached_property
    def holdings_json(self) -> bytes:
        return _json_body(self.data)

    @cached_property
    def wallets_json(self) -> bytes:
        return _json_body(self.wallets)

    @cached_property
    def holdings_csv(self) -> str:
        return holdings_csv(self.data)


def public_view(store: Store, head: Head) -> PublicView:
    """Compute the view; `head` must be read before (data read after it is at least as new as the key)."""
    data = public_holdings(store)
    wallets = public_wallets(store, data)
    return PublicView(head, data, wallets, reserve_statement.latest(store), sorted({w.policy for w in wallets}),
                      unauthorised_spends.listed(store))


CHAIN, PROCEDURE = "the chain (the wallet's script)", "procedure (the app and its officers)"
ENFORCEMENT = {  # profile -> (rule, enforced by, why)
    "*": [("M of N signatures", CHAIN, "no transaction is valid without M of the signers' keys"),
          ("recovery paths after their timelock", CHAIN, "the script's relative timelock (where the wallet has one)")],
    "pakistan-draft": [("amount tiers: a large spend needs more than M signatures", PROCEDURE,
                        "the script accepts M; signers combining M signatures outside the app are caught at the next "
                        "sync, not stopped. To make a tier hold on chain, keep large amounts in a wallet whose M is "
                        "the tier's"),
                       ("holdings above a share of FX reserves flagged", PROCEDURE, "a flag on receipts")],
    "us-eo-no-sale": [("no sale: coins move only to reserve wallets", PROCEDURE,
                       "a script cannot see where an output goes; the app refuses such proposals")],
    "bhutan": [("a sale needs a board approval reference", PROCEDURE, "the app refuses a proposal without one")],
    "imf-no-accumulation": [("purchases and mining flagged", PROCEDURE, "a flag on receipts")],
}


def enforcement_rows(profiles: list[str]) -> list[dict[str, str]]:
    """Each custody rule in force, labelled chain-enforced or procedural (the page says which is which)."""
    rows = [*ENFORCEMENT["*"], *(r for p in profiles for r in ENFORCEMENT.get(p, []))]
    return [{"rule": r, "enforced_by": by, "why": why} for r, by, why in rows]


class PublicViewCache:
    """The latest PublicView of one store, rebuilt when the audit log's head has moved since it was computed."""

    def __init__(self) -> None:
        self._views: PerAuditHead[None, PublicView] = PerAuditHead(lambda store, head, _: public_view(store, head))

    def get(self, store: Store) -> PublicView:
        return self._views.get(store, None)
