"""Use case: failed logins counted in the database, so that every portal worker process counts the same ones.

After MAX_FAILURES failures of one user name from one client address within WINDOW_SECONDS, or
MAX_FAILURES_PER_ADDRESS from one address across names, the login form answers 429 with Retry-After, even to
the right password. NIST SP 800-63B section 5.2.2 requires a cap on consecutive failed attempts per account
(at most 100) and the OWASP Authentication Cheat Sheet recommends throttling or lockout; 5 per 5 minutes per
name and address, and 20 per address, are this project's choice, not a cited figure. A name that logged in
from an address is spared that address's count for TRUSTED_SECONDS, so a colleague guessing behind the same
NAT does not lock out the others, and one name's failures never block another name.

Correct across processes (`biplomacy serve --workers N`, or several hosts on one PostgreSQL): the counts are
rows (house_login_failures, house_login_trusted; migration 0011_throttles) stamped with Unix time, and
`attempt` checks the counts and counts the attempt in one transaction under a lock on that name and address
(PostgreSQL: transaction-level advisory locks; SQLite: the database's write lock), so concurrent guesses on
several workers cannot slip past the limit between a check and a count: an attempt counts as a failure from
the moment it is admitted, and a right password takes it back. Names and addresses are stored only as
digests. Rows older than the window are pruned as new ones come (one pruner at a time).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from biplomacy.house.tables import LoginFailureRow, LoginTrustRow
from biplomacy.store.db import Store

MAX_FAILURES = 5  # failed logins allowed per user name and client address within WINDOW_SECONDS
MAX_FAILURES_PER_ADDRESS = 20  # across user names from one address (guessing names as well as passwords)
WINDOW_SECONDS = 300
TRUSTED_SECONDS = 30 * 86_400  # a name that logged in from an address is spared that address's count this long
PRUNE_EVERY_SECONDS = 30  # per process: how often expired rows are deleted
LOCK_CLASS = 4242002  # PostgreSQL advisory locks of the throttle: (LOCK_CLASS, key); the audit log's is 4242001
PRUNE_LOCK = (4242003, 0)


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def _lock_id(key: str) -> int:
    return int(key[:8], 16) - 2**31  # a signed 32-bit int, as pg_advisory_xact_lock(int, int) takes


@dataclass(frozen=True, slots=True)
class Attempt:
    """What `attempt` decided: `wait` whole seconds before this name may try again from this address (None:
    go ahead; the attempt is then already counted as a failure), and the address-count row it added (taken
    back with the attempt when the password is right)."""

    wait: int | None
    address_row: int | None = None


class LoginThrottle:
    """Failed logins per (user name, client address) and per address, in a sliding window, in the database."""

    def __init__(self, store: Store, max_failures: int = MAX_FAILURES, per_address: int = MAX_FAILURES_PER_ADDRESS,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.max_failures, self.per_address, self.window, self.clock = max_failures, per_address, window, clock
        self._pruned = -math.inf

    # -- the three things the login form does ---------------------------------------------------------------
    def attempt(self, name: str, address: str) -> Attempt:
        """Before the password is checked: refused with a wait when a count is reached; else counted now."""
        now = self.clock()
        with self.store.transaction() as s:
            keys = self._locked_keys(s, name, address, now)
            wait = self._wait(s, keys, now)
            if wait is not None:
                return Attempt(wait)
            rows = self._add(s, keys, now)
            return Attempt(None, rows[1].id if len(rows) > 1 else None)

    def failed(self, name: str, address: str) -> None:
        """Count one failure whatever the counts (`attempt` already counts the attempts it admits)."""
        now = self.clock()
        with self.store.transaction() as s:
            self._add(s, self._locked_keys(s, name, address, now), now)

    def succeeded(self, name: str, address: str, attempt: Attempt | None = None) -> None:
        """A right password clears that name's failures from that address (not the address's own count, bar
        this attempt's), and spares the name that address's count from now on (TRUSTED_SECONDS)."""
        now = self.clock()
        trust = _digest("trust", name.strip().casefold(), address)
        with self.store.transaction() as s:
            self._locked_keys(s, name, address, now)
            if attempt is not None and attempt.address_row is not None:
                s.execute(delete(LoginFailureRow).where(LoginFailureRow.id == attempt.address_row))
            # The pair's failures up to now stop counting: they are older than its last success (see _wait).
            insert = (postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert)
            s.execute(insert(LoginTrustRow).values(key=trust, at=now)
                      .on_conflict_do_update(index_elements=["key"], set_={"at": now}))

    def retry_after(self, name: str, address: str) -> int | None:
        """Whole seconds until this name may try again from this address, or None when it may try now."""
        now = self.clock()
        with self.store.read() as s:
            return self._wait(s, self._keys(s, name, address, now), now)

    # -- counting -------------------------------------------------------------------------------------------
    def _keys(self, s: Session, name: str, address: str, now: float) -> list[tuple[str, int, float]]:
        """(key, limit, counted since) of each count this attempt falls under: the pair's, counted since its
        last success, and, unless the name is trusted from this address, the address's."""
        folded = name.strip().casefold()
        since = now - self.window
        seen = s.get(LoginTrustRow, _digest("trust", folded, address))
        pair = (_digest("pair", folded, address), self.max_failures, since if seen is None else max(since, seen.at))
        if seen is not None and seen.at > now - TRUSTED_SECONDS:
            return [pair]
        return [pair, (_digest("address", address), self.per_address, since)]

    def _locked_keys(self, s: Session, name: str, address: str, now: float) -> list[tuple[str, int, float]]:
        """The keys, read under a lock on this name and address held until the transaction ends."""
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":  # pair first, then address: every caller takes them in this order
            for key in (_digest("pair", name.strip().casefold(), address), _digest("address", address)):
                s.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": LOCK_CLASS, "k": _lock_id(key)})
        elif dialect == "sqlite":  # a no-op write takes the database's write lock now (see audit._lock)
            s.execute(text("UPDATE house_login_trusted SET at = at WHERE 0"))
        return self._keys(s, name, address, now)

    def _wait(self, s: Session, keys: list[tuple[str, int, float]], now: float) -> int | None:
        waits = []
        for key, limit, since in keys:
            times = s.execute(select(LoginFailureRow.at).where(LoginFailureRow.key == key, LoginFailureRow.at > since)
                              .order_by(LoginFailureRow.at.desc()).limit(limit)).scalars().all()
            if len(times) >= limit:  # the limit-th newest failure leaves the window first
                waits.append(times[-1] + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def _add(self, s: Session, keys: list[tuple[str, int, float]], now: float) -> list[LoginFailureRow]:
        rows = [LoginFailureRow(key=key, at=now) for key, _, _ in keys]
        s.add_all(rows)
        s.flush()
        if now - self._pruned >= PRUNE_EVERY_SECONDS:
            self._pruned = now
            self._prune(s, now)
        return rows

    def _prune(self, s: Session, now: float) -> None:
        """Delete what no longer counts, by one transaction at a time (two pruners could deadlock)."""
        if s.get_bind().dialect.name == "postgresql":
            if not s.execute(text("SELECT pg_try_advisory_xact_lock(:c, :k)"),
                             {"c": PRUNE_LOCK[0], "k": PRUNE_LOCK[1]}).scalar_one():
                return
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= now - self.window))
        s.execute(delete(LoginTrustRow).where(LoginTrustRow.at <= now - TRUSTED_SECONDS))

    def kept(self) -> int:
        """How many failure rows the database holds (expired ones go at the next prune)."""
        with self.store.read() as s:
            return int(s.execute(select(func.count()).select_from(LoginFailureRow)).scalar_one())
