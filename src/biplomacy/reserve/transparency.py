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
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from biplomacy.core.networks import REHEARSAL, is_rehearsal
from biplomacy.core.provenance import load_registry
from biplomacy.core.records import json_value
from biplomacy.house.audit_cache import Head, PerAuditHead
from biplomacy.reserve import statements as reserve_statement
from biplomacy.reserve import unauthorised_spends
from biplomacy.reserve.holdings import holdings
from biplomacy.reserve.model.ledger import btc_amount
from biplomacy.reserve.model.policy import PROFILES, PolicyFigures, fx_cap
from biplomacy.reserve.price import PRICE_FACT, policy_figures
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
# the CSV's last column says whose coins a row is: "reserve", or "rehearsal" (a rehearsal chain: not national holdings)


def history_chart(history: tuple[HistoryPoint, ...], rehearsal: bool = False, today: date | None = None
                  ) -> dict[str, Any]:
    """A Vega-Lite step chart of total holdings over time (one spec for the page and any export); the line runs
    on to today, so that one day's receipts are a step, not a lone dot. Rehearsal coins say so in the title."""
    values: list[dict[str, Any]] = [{"day": h.day, "btc": float(h.btc)} for h in history]
    end = (today or datetime.now(UTC).date()).isoformat()
    if history and history[-1].day < end:
        values.append({"day": end, "btc": float(history[-1].btc)})
    title = "REHEARSAL: BTC on the rehearsal chain, not the reserve" if rehearsal else "BTC held by the reserve"
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": title + ", by day",
        "title": title,
        "width": "container", "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "interpolate": "step-after", "point": True,
                 **({"color": "#a33", "strokeDash": [6, 3]} if rehearsal else {})},
        "encoding": {"x": {"field": "day", "type": "temporal", "title": "date",
                           "axis": {"format": "%d %b %Y", "labelAngle": -30}},
                     "y": {"field": "btc", "type": "quantitative", "title": "BTC held"}},
    }


def public_holdings(store: Store, kind: str | None = None) -> HoldingsReport:
    """What anyone may see: totals, by source and wallet, history, vanished receipts; addresses only where public.
    `kind`: "reserve" or "rehearsal" wallets only (None: all, marked rehearsal when any is)."""
    data = holdings(store, None, public=True, kind=kind)
    return replace(data, chart=history_chart(data.history, data.mark == REHEARSAL))


def public_wallets(store: Store, data: HoldingsReport | None = None) -> list[PublicWallet]:
    """The wallets as the public sees them (`data`: public_holdings already computed, to reuse its balances)."""
    balance = {w.wallet: w.btc for w in (data or holdings(store, None, public=True)).by_wallet}
    out = []
    for d in wallet_details(store):
        w, after = d.wallet, d.successor
        out.append(PublicWallet(w.name, w.threshold, w.signers, w.policy, w.network,
                                balance.get(w.name, btc_amount(0)), w.descriptor if w.public_addresses else None,
                                w.paths, d.state, after.wallet if after else None, d.predecessors,
                                after.completed_at if after else None, d.warnings,
                                REHEARSAL if is_rehearsal(w.network) else "reserve"))
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
    if "pakistan-draft" in profiles:
        keys.append(PRICE_FACT)  # the cap is valued at the one price (cited unless prices were imported)
    return load_registry().cited(keys)


def _cell(value: object) -> object:
    """A CSV cell: empty for None, BTC and USD exactly (format "f"), anything else as csv writes it."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else value


def holdings_csv(*reports: HoldingsReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow((*CSV_COLUMNS, "mark"))
    for data in reports:
        for e in data.entries:
            writer.writerow([*(_cell(getattr(e, c)) for c in CSV_COLUMNS), data.mark])
    return buffer.getvalue()


def _json_body(value: Any) -> bytes:
    """The JSON the API sends for records (Decimals as exact strings, dates in ISO 8601), serialised once."""
    return json.dumps(json_value(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, eq=False)
class PublicView:
    """What the public page and /api/v1/reserve/* show, for one state of the audit log (`head`)."""

    head: Head
    data: HoldingsReport  # the reserve: wallets on Bitcoin's main chain only
    rehearsal: HoldingsReport  # the rehearsal wallets, kept apart and never valued
    wallets: list[PublicWallet]
    statement: dict[str, Any] | None  # the latest final statement, as published
    profiles: list[str] = field(default_factory=list)
    unauthorised: list[dict[str, Any]] = field(default_factory=list)  # spends no approved proposal accounts for
    figures: PolicyFigures | None = None  # the policy rules' figures (the cap's price is the view's one price)
    rendered: dict[tuple[str, str], bytes] = field(default_factory=dict)  # the page's HTML by (name, role) looking

    @cached_property
    def page(self) -> dict[str, Any]:
        """The page's template context, but for what depends on who is asking.

        Table rows are the records' JSON (the table macro takes mappings, and shows each value as the API does).
        """
        data, rehearsal = self.data, self.rehearsal
        statement_mark = None if self.statement is None or not is_rehearsal(str(self.statement.get("network"))) \
            else REHEARSAL
        return {"data": data, "profiles": self.profiles, "statement": self.statement, "statement_mark": statement_mark,
                "rehearsal": rehearsal, "rehearsal_by_source": json_value(rehearsal.by_source),
                "rehearsal_latest": json_value(list(reversed(rehearsal.entries[-PAGE_RECEIPTS:]))),
                "reserve_wallets": [w for w in self.wallets if w.mark != REHEARSAL],
                "rehearsal_networks": ", ".join(sorted({w.network for w in self.wallets if w.mark == REHEARSAL})),
                "by_source_rows": json_value(data.by_source),
                "vanished_rows": [{**e.to_json(), "mark": r.mark} for r in (data, rehearsal) for e in r.vanished],
                "wallets_rows": [{**w.to_json(), "signer_count": len(w.signers)} for w in self.wallets],
                "latest": json_value(list(reversed(data.entries[-PAGE_RECEIPTS:]))), "receipts_shown": PAGE_RECEIPTS,
                "flagged_rows": [{**e.to_json(), "flags": "; ".join(e.flags), "mark": r.mark}
                                 for r in (data, rehearsal) for e in r.flagged],
                "facts": policy_sources(self.profiles), "lifecycle": lifecycle(self.wallets),
                "unauthorised_rows": self.unauthorised, "enforcement_rows": enforcement_rows(self.profiles),
                "audit_head": None if self.head is None else self.head[1], "cap": self.cap}

    @cached_property
    def cap(self) -> dict[str, Any] | None:
        """The Pakistan draft's FX cap when that profile is in force: USD, and BTC at the one price (its date)."""
        if "pakistan-draft" not in self.profiles or self.figures is None:
            return None
        figures = replace(self.figures, btc_usd=self.data.price_usd, btc_usd_date=self.data.price_date)
        usd, btc = fx_cap(figures)
        return {"usd": usd, "btc": btc, "share": figures.cap_share_of_fx, "fx_reserves_usd": figures.fx_reserves_usd,
                "price_usd": self.data.price_usd, "price_date": self.data.price_date}

    @cached_property
    def holdings_json(self) -> bytes:
        """The reserve's figures, and the rehearsal wallets' apart under "rehearsal" (marked, not valued)."""
        return _json_body(json_value(self.data) | {"rehearsal": json_value(self.rehearsal)})

    @cached_property
    def wallets_json(self) -> bytes:
        return _json_body(self.wallets)

    @cached_property
    def holdings_csv(self) -> str:
        return holdings_csv(self.data, self.rehearsal)


def public_view(store: Store, head: Head) -> PublicView:
    """Compute the view; `head` must be read before (data read after it is at least as new as the key)."""
    data, rehearsal = public_holdings(store, "reserve"), public_holdings(store, "rehearsal")
    wallets = public_wallets(store, replace(data, by_wallet=data.by_wallet + rehearsal.by_wallet))
    return PublicView(head, data, rehearsal, wallets, reserve_statement.latest(store),
                      sorted({w.policy for w in wallets}), unauthorised_spends.listed(store), figures=policy_figures(store))


CHAIN, PROCEDURE = "the chain (the wallet's script)", "procedure (the app and its officers)"
ENFORCEMENT = {  # profile -> (rule, enforced by, why)
    "*": [("M of N signatures", CHAIN, "no transaction is valid without M of the signers' keys"),
          ("recovery paths after their timelock", CHAIN, "the script's relative timelock (where the wallet has one)")],
    "pakistan-draft": [("amount tiers: a large spend needs more than M signatures", PROCEDURE,
                        "the script accepts M; signers combining M signatures outside the app are caught at the next "
                        "sync, not stopped. To make a tier hold on chain, keep large amounts in a wallet whose M is "
                        "the tier's (wallet add --on-chain refuses one whose M cannot carry it)"),
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
