"""Use case: the portal's compute budget (token buckets per client address and for the whole portal), kept in
the database so that every worker process spends from the same buckets.

One risk run costs about 0.3-0.4 s of CPU: a visitor looping over it could keep the portal's cores busy.
Each client address may start BURST runs at once and RATE_PER_MINUTE a minute after that; the portal as a
whole GLOBAL_PER_MINUTE. The figures are this project's choice, not a cited standard. Only new work spends a
token (asking again for a run already made costs nothing), so a take is rare next to page reads and its
transaction costs nothing that matters.

Across processes: a bucket is a row (house_rate_buckets, migration 0011_throttles) holding its tokens at a Unix
time; a take locks the portal's row, then the client's (SELECT ... FOR UPDATE, in that order on every worker,
so two takes never deadlock; on SQLite the first write takes the database's lock), refills both to now,
and spends one from each or answers how long to wait. A bucket that has refilled to full is the same as no
row, so rows idle that long are deleted (under the portal row's lock, so by one taker at a time).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from biplomacy.house.tables import RateBucketRow
from biplomacy.store.db import Store

RATE_PER_MINUTE = 12.0
BURST = 4.0
GLOBAL_PER_MINUTE = 120.0
GLOBAL_BURST = 20.0
PORTAL = "*"  # the whole portal's bucket (client keys are hex digests)
PRUNE_EVERY_SECONDS = 60  # per process


class TokenBuckets:
    """A token bucket per client (and one shared by all clients), refilled continuously, in the database."""

    def __init__(self, store: Store, per_minute: float = RATE_PER_MINUTE, burst: float = BURST,
                 global_per_minute: float = GLOBAL_PER_MINUTE, global_burst: float = GLOBAL_BURST,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.rate, self.burst = per_minute / 60.0, burst
        self.global_rate, self.global_burst = global_per_minute / 60.0, global_burst
        self.clock = clock
        self._pruned = -math.inf

    def take(self, client: str) -> int | None:
        """Take one token for `client` (an address): None when allowed, else whole seconds until one is there."""
        now = self.clock()
        key = hashlib.blake2b(client.encode("utf-8"), digest_size=16).hexdigest()  # no address is stored
        with self.store.transaction() as s:
            every_row = self._locked(s, PORTAL, self.global_burst, now)
            if now - self._pruned >= PRUNE_EVERY_SECONDS:  # the portal row's lock is held: one pruner at a time
                self._pruned = now
                s.execute(delete(RateBucketRow).where(RateBucketRow.key != PORTAL,
                                                      RateBucketRow.at <= now - self.burst / self.rate))
            mine_row = self._locked(s, key, self.burst, now)
            mine = min(self.burst, mine_row.tokens + max(0.0, now - mine_row.at) * self.rate)
            every = min(self.global_burst, every_row.tokens + max(0.0, now - every_row.at) * self.global_rate)
            if mine < 1 or every < 1:
                wait = max((1 - mine) / self.rate if mine < 1 else 0.0,
                           (1 - every) / self.global_rate if every < 1 else 0.0)
                return max(1, math.ceil(wait))
            mine_row.tokens, mine_row.at = mine - 1, now
            every_row.tokens, every_row.at = every - 1, now
            return None

    @staticmethod
    def _locked(s: Session, key: str, full: float, now: float) -> RateBucketRow:
        """The bucket's row, made full if it was missing, locked until the transaction ends."""
        insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        s.execute(insert(RateBucketRow).values(key=key, tokens=full, at=now).on_conflict_do_nothing(
            index_elements=["key"]))
        return s.execute(select(RateBucketRow).where(RateBucketRow.key == key).with_for_update()
                         .execution_options(populate_existing=True)).scalar_one()
