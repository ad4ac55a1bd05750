"""The figures policy rules use, read from the provenance registry (tiers, FX reserves, cap, the fewest keys a
spending path may have, the refresh warning window); the BTC price the cap is valued at is given by the caller
(reserve/price.py: the one price of the portal, with its date)."""

from __future__ import annotations

from decimal import Decimal

from biplomacy.core.provenance import load_registry
from biplomacy.reserve.model.policy import PolicyFigures

KEYS = ("reserve.policy.pakistan_tier1_btc", "reserve.policy.pakistan_tier2_btc",
        "reserve.policy.pakistan_fx_reserves_usd", "reserve.policy.pakistan_cap_share_of_fx")


def policy_figures(btc_usd: Decimal, price_date: str) -> PolicyFigures:
    r = load_registry()
    return PolicyFigures(tier_btc=(r.value(KEYS[0]), r.value(KEYS[1])), fx_reserves_usd=r.value(KEYS[2]),
                         cap_share_of_fx=r.value(KEYS[3]), btc_usd=btc_usd, btc_usd_date=price_date)


MIN_PATH_KEYS: dict[str, str] = {}  # profile -> its own fact, where its law names a larger quorum (none yet)
DEFAULT_MIN_PATH_KEYS = "reserve.policy.min_path_keys"
REFRESH_WARNING = "reserve.custody.refresh_warning_blocks"


def min_path_keys(profile: str) -> int:
    """The fewest keys the profile allows a spending path (primary or recovery) to have."""
    return int(load_registry().value(MIN_PATH_KEYS.get(profile, DEFAULT_MIN_PATH_KEYS)))


def refresh_warning_blocks() -> int:
    """Warn when a coin is this many blocks or fewer from its first recovery path opening."""
    return int(load_registry().value(REFRESH_WARNING))
