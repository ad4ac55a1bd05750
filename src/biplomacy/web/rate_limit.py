"""Rate limits for public endpoints that cost real CPU (the Monte Carlo of /energy/risk): a token bucket per
client address and one for the whole portal, in this process.

One risk run costs about 0.3-0.4 s of CPU: a visitor looping over it could keep the portal's cores busy.
Each client address may start BURST runs at once and RATE_PER_MINUTE a minute after that; the portal as a
whole GLOBAL_PER_MINUTE. Over either, the answer is 429 with Retry-After, before any work is done. Signed-in
users get the same per-address budget (an analyst exploring scenarios stays far below it). Each process keeps
its own buckets (`biplomacy serve` runs one); the figures are this project's choice, not a cited standard.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import HTTPException, Request

from biplomacy.web.auth import client_address

RATE_PER_MINUTE = 12.0
BURST = 4.0
GLOBAL_PER_MINUTE = 120.0
GLOBAL_BURST = 20.0
_MAX_KEYS = 50_000


class TokenBuckets:
    """A token bucket per key (and one shared by all keys), refilled continuously."""

    def __init__(self, per_minute: float = RATE_PER_MINUTE, burst: float = BURST,
                 global_per_minute: float = GLOBAL_PER_MINUTE, global_burst: float = GLOBAL_BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst = per_minute / 60.0, burst
        self.global_rate, self.global_burst = global_per_minute / 60.0, global_burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._global = (global_burst, clock())
        self._lock = threading.Lock()

    @staticmethod
    def _refill(state: tuple[float, float], rate: float, cap: float, now: float) -> float:
        tokens, at = state
        return min(cap, tokens + (now - at) * rate)

    def take(self, key: str) -> int | None:
        """Take one token for `key`: None when allowed, else whole seconds until one is there."""
        now = self.clock()
        with self._lock:
            mine = self._refill(self._buckets.get(key, (self.burst, now)), self.rate, self.burst, now)
            every = self._refill(self._global, self.global_rate, self.global_burst, now)
            if mine < 1 or every < 1:
                wait = max((1 - mine) / self.rate if mine < 1 else 0.0,
                           (1 - every) / self.global_rate if every < 1 else 0.0)
                return max(1, math.ceil(wait))
            self._buckets[key] = (mine - 1, now)
            self._global = (every - 1, now)
            if len(self._buckets) > _MAX_KEYS:  # forget the fullest (longest idle) buckets first
                for k in sorted(self._buckets, key=lambda k: self._buckets[k][1])[:len(self._buckets) // 10]:
                    del self._buckets[k]
            return None


_LOCK = threading.Lock()


def compute_limit(request: Request) -> None:
    """A route dependency: 429 with Retry-After when this client (or the portal) is over its compute budget."""
    state = request.app.state
    with _LOCK:
        if not isinstance(getattr(state, "compute_buckets", None), TokenBuckets):
            state.compute_buckets = TokenBuckets()
    wait = state.compute_buckets.take(client_address(request))
    if wait is not None:
        raise HTTPException(429, f"too many compute requests; try again in {wait} s",
                            headers={"Retry-After": str(wait)})
