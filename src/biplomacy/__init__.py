"""Biplomacy: software for a national Bitcoin program (energy, reserve, supervision, peers)."""

from biplomacy.core.errors import (
    BiplomacyError,
    ChainError,
    ConfigError,
    InputError,
    Issue,
    PermissionDenied,
    PolicyViolation,
    StoreError,
)
from biplomacy.core.provenance import Fact, Source, load_registry
from biplomacy.core.units import MW, Btc, Difficulty, Hashrate, JPerTH, Money, MWh, Sats

__version__ = "0.1.0"

__all__ = [
    "MW",
    "BiplomacyError",
    "Btc",
    "ChainError",
    "ConfigError",
    "Difficulty",
    "Fact",
    "Hashrate",
    "InputError",
    "Issue",
    "JPerTH",
    "MWh",
    "Money",
    "PermissionDenied",
    "PolicyViolation",
    "Sats",
    "Source",
    "StoreError",
    "__version__",
    "load_registry",
]
