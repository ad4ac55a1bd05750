"""The figures policy rules use, read from the provenance registry (tiers, FX reserves, cap, a BTC price, the
fewest keys a spending path may have, the refresh warning window)."""

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


MIN_PATH_KEYS: dict[str, str] = {}  # profile -> its own fact, where its law names a larger quorum (none yet)
DEFAULT_MIN_PATH_KEYS = "reserve.policy.min_path_keys"
REFRESH_WARNING = "reserve.custody.refresh_warning_blocks"


def min_path_keys(profile: str) -> int:
    """The fewest keys the profile allows a spending path (primary or recovery) to have."""
    return int(load_registry().value(MIN_PATH_KEYS.get(profile, DEFAULT_MIN_PATH_KEYS)))


def refresh_warning_blocks() -> int:
    """Warn when a coin is this many blocks or fewer from its first recovery path opening."""
    return int(load_registry().value(REFRESH_WARNING))
