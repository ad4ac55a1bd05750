"""Rate limits for public endpoints that cost real CPU (the Monte Carlo of /energy/risk): a token bucket per
client address and one for the whole portal, kept in the database (house/rate_buckets.py) so that several
worker processes spend from the same buckets.

Each client address may start 4 runs at once and 12 a minute after that; the portal as a whole 120 a minute
(rate_buckets.py). Over either, the answer is 429 with Retry-After, before any work is done. Signed-in
users get the same per-address budget (an analyst exploring scenarios stays far below it).
"""

from __future__ import annotations

import threading

from fastapi import HTTPException, Request

from biplomacy.house.rate_buckets import TokenBuckets
from biplomacy.web.auth import client_address

_LOCK = threading.Lock()


def compute_limit(request: Request) -> None:
    """A route dependency: 429 with Retry-After when this client (or the portal) is over its compute budget."""
    state = request.app.state
    with _LOCK:
        if not isinstance(getattr(state, "compute_buckets", None), TokenBuckets):
            state.compute_buckets = TokenBuckets(state.store)
    wait = state.compute_buckets.take(client_address(request))
    if wait is not None:
        raise HTTPException(429, f"too many compute requests; try again in {wait} s",
                            headers={"Retry-After": str(wait)})
