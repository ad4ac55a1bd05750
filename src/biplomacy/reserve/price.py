"""Use case: the one BTC price every pillar values with (issue #18): the latest imported price, else the cited
snapshot the energy plans are made with, always with its date; and the policy figures priced at it.

The reserve page, the landing page, the policy cap, peers' what-ifs and the review pack all read it here, so a
page never shows two prices for one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from biplomacy.core.provenance import load_registry
from biplomacy.reserve.model.policy import PolicyFigures
from biplomacy.reserve.model.policy_figures import policy_figures as figures_at
from biplomacy.reserve.tables import PriceRow
from biplomacy.store.db import Store

# The cited snapshot: BTC on 8 Jan 2026 (Benzinga's price table), the figure `energy plan` defaults to.
PRICE_FACT = "energy.network.btc_price_usd"
RATE_FACT = "reserve.custody.pkr_per_usd"


@dataclass(frozen=True, slots=True)
class BtcPrice:
    """USD per BTC and PKR per USD, the day they are of (and the source of an imported price), and the cited
    registry facts behind them (empty for an imported price with its own PKR rate)."""

    usd: Decimal
    pkr_per_usd: Decimal
    date: str  # YYYY-MM-DD, or "YYYY-MM-DD (source)" for an imported price
    sources: tuple[dict[str, object], ...]
    imported: bool

    @property
    def day(self) -> str:
        return self.date[:10]

    def to_json(self) -> dict[str, Any]:
        return {"usd": self.usd, "pkr_per_usd": self.pkr_per_usd, "date": self.date, "imported": self.imported,
                "sources": list(self.sources)}


def btc_price(store: Store | None = None) -> BtcPrice:
    """The latest imported USD price (`reserve prices import`) when there is one, else the cited snapshot."""
    registry = load_registry()
    if store is not None:
        with store.read() as session:
            usd = session.scalars(select(PriceRow).where(PriceRow.currency == "USD")
                                  .order_by(PriceRow.day.desc())).first()
            pkr = session.scalars(select(PriceRow).where(PriceRow.currency == "PKR")
                                  .order_by(PriceRow.day.desc())).first()
            if usd is not None:
                rate = (pkr.btc_price / usd.btc_price) if pkr is not None else registry.value(RATE_FACT)
                cited = () if pkr is not None else tuple(registry.cited([RATE_FACT]))
                return BtcPrice(usd.btc_price, rate, f"{usd.day} ({usd.source})", cited, True)
    return BtcPrice(registry.value(PRICE_FACT), registry.value(RATE_FACT), registry.get(PRICE_FACT).date,
                    tuple(registry.cited([PRICE_FACT, RATE_FACT])), False)


def policy_figures(store: Store | None = None) -> PolicyFigures:
    """The policy rules' figures, the cap valued at the one price (with its date, which the cap's flag names)."""
    price = btc_price(store)
    return figures_at(price.usd, price.day)
