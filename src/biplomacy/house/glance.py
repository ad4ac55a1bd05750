"""The program at a glance (the landing page): the reserve held, the adopted energy plan and its subsidy verdicts,
the register, the latest reserve statement and the audit head, each with where it comes from.

It reads each pillar through its use cases. Rehearsal figures stay apart: the reserve total counts wallets on
Bitcoin's main chain only, and a rehearsal total, when there is one, is returned marked and unvalued.
"""

from __future__ import annotations

from typing import Any

from biplomacy.core.networks import REHEARSAL, is_rehearsal
from biplomacy.energy.plan import adopted_plan
from biplomacy.house.audit import head
from biplomacy.reserve import statements as reserve_statements
from biplomacy.reserve.price import btc_price
from biplomacy.reserve.transparency import public_holdings
from biplomacy.store.db import Store
from biplomacy.supervision.register import register_counts


def _verdict(text: str) -> str:
    """The verdict's first clause ("subsidy", "no subsidy at the margin", ...): the page links the whole test."""
    return text.split(":")[0]


def glance(store: Store) -> dict[str, Any]:
    """Every figure of the landing page, as plain values (Decimals exact), with the page and source of each."""
    reserve, rehearsal = public_holdings(store, "reserve"), public_holdings(store, "rehearsal")
    price = btc_price(store)
    plan = adopted_plan(store)
    statement = reserve_statements.latest(store)
    with store.read() as s:
        h = head(s)
    energy: dict[str, Any] | None = None
    if plan is not None:
        s_ = plan.summary
        energy = {"id": plan.id, "name": plan.name, "adopted_at": plan.adopted_at,
                  "mining_mw": s_.mining_mw_installed, "ai_mw": s_.ai_mw_installed,
                  "btc_per_year": s_.expected_btc_per_year, "btc_price_usd": s_.btc_price_usd,
                  "tariffs": [{"name": t.name, "pkr_per_kwh": t.pkr_per_kwh, "verdict": _verdict(t.verdict),
                               "subsidy_pkr_per_year": t.subsidy_vs_marginal_pkr} for t in s_.tariffs],
                  "sources": list(s_.sources)}
    return {
        "reserve": {"wallets": len(reserve.by_wallet), "btc": reserve.total_btc if reserve.by_wallet else None,
                    "value_usd": reserve.value_usd if reserve.by_wallet else None, "history": reserve.chart,
                    "points": len(reserve.history)},
        "rehearsal": None if not rehearsal.by_wallet else {
            "mark": REHEARSAL, "wallets": len(rehearsal.by_wallet), "btc": rehearsal.total_btc},
        "price": {"usd": price.usd, "date": price.date, "sources": list(price.sources)},
        "energy": energy,
        "register": register_counts(store),
        "statement": None if statement is None else {
            "id": statement.get("id"), "wallet": statement.get("wallet"), "height": statement.get("height"),
            "total_btc": statement.get("total_btc"), "signed": str(statement.get("created_at", ""))[:10],
            "mark": REHEARSAL if is_rehearsal(str(statement.get("network", "regtest"))) else "reserve"},
        "audit": None if h is None else {"seq": h.seq, "hash": h.hash},
    }
