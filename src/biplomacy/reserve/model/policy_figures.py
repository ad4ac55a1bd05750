"""The figures policy rules use, read from the provenance registry (tiers, FX reserves, cap, a BTC price)."""

from __future__ import annotations

from biplomacy.core.provenance import load_registry
from biplomacy.reserve.model.policy import PolicyFigures

KEYS = ("reserve.policy.pakistan_tier1_btc", "reserve.policy.pakistan_tier2_btc",
        "reserve.policy.pakistan_fx_reserves_usd", "reserve.policy.pakistan_cap_share_of_fx",
        "reserve.custody.btc_usd_2025_close")


def policy_figures() -> PolicyFigures:
    r = load_registry()
    return PolicyFigures(tier_btc=(r.value(KEYS[0]), r.value(KEYS[1])), fx_reserves_usd=r.value(KEYS[2]),
                         cap_share_of_fx=r.value(KEYS[3]), btc_usd=r.value(KEYS[4]))
