"""Is a session secret key strong enough to sign admin sessions with? (serve and doctor ask.)

Anyone who knows the key can forge any user's session cookie, an admin's included, so the key must be
unguessable: not the shipped default, at least MIN_LENGTH characters, with at least MIN_BITS of entropy
by a character-frequency (Shannon) estimate, and without repeats (most of its 4-character pieces distinct),
which catches `xxxxxxxx...`, `passwordpassword...` and short words. `secrets.token_urlsafe(32)` (43
characters, about 200 bits by this estimate) and `secrets.token_hex(16)` (128 random bits) pass.
"""

from __future__ import annotations

import math
from collections import Counter

SHIPPED_DEFAULT = "change-me-in-production"
MIN_LENGTH = 32
# NIST SP 800-57 Part 1 Rev. 5 (2020), table 2, asks 128-bit strength of HMAC keys beyond 2030; a random
# 32-hex-digit key holds 128 bits but the frequency estimate of one such key is about 100-122, hence 96.
MIN_BITS = 96.0
MIN_DISTINCT_PIECES = 0.8  # share of the key's 4-character pieces that must be distinct
KNOWN_WEAK = frozenset({SHIPPED_DEFAULT, "secret", "changeme", "change-me", "password", "test", "dev"})
HOW_TO_MAKE_ONE = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def estimated_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length (an upper bound for a patterned key)."""
    if not key:
        return 0.0
    n = len(key)
    per_char = -sum(c / n * math.log2(c / n) for c in Counter(key).values())
    return per_char * n


def weakness(key: str) -> str | None:
    """Why `key` is too weak to sign sessions with, or None when it is strong enough."""
    if key.strip().casefold() in KNOWN_WEAK or key == SHIPPED_DEFAULT:
        return "the secret key is the shipped default or a well-known value"
    if len(key) < MIN_LENGTH:
        return f"the secret key has {len(key)} characters; use at least {MIN_LENGTH}"
    pieces = [key[i:i + 4] for i in range(len(key) - 3)]
    if len(set(pieces)) < MIN_DISTINCT_PIECES * len(pieces):
        return "the secret key repeats itself (too many of its 4-character pieces recur)"
    bits = estimated_bits(key)
    if bits < MIN_BITS:
        return f"the secret key looks patterned (about {bits:.0f} bits of entropy; at least {MIN_BITS:.0f} needed)"
    return None
