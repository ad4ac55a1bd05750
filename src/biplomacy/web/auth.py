"""Who is asking: a signed session cookie after login, or `Authorization: Bearer <token>`; else the public.

The cookie holds the user's name, role, entity (LEI, for a vasp user), session version and expiry, signed
with HMAC-SHA256 under settings.secret_key, so the server keeps no session table. On every request that
carries a validly signed cookie the user is read back from the users table (one indexed read): a user who
was disabled or removed, or whose role or entity changed since login (its session version moved on), is
anonymous again at once, not when the cookie expires. Requests without a session cookie (the public)
cost no database work here. Routers take the actor with `actor: ActorDep` and call
`authorize(actor, "x.y")`; a token that is presented but unknown is a 401, never silently anonymous.

Failed logins are throttled per user name and client address (LoginThrottle): after MAX_FAILURES
failures within WINDOW_SECONDS the login form answers 429 with Retry-After, even to the right password.
Logging out ends the user's sessions on the server (users.end_sessions bumps the session version), so a
copied cookie is dead after logout, not only when it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from biplomacy.core.config import Settings
from biplomacy.core.permissions import ANONYMOUS, Actor
from biplomacy.house import users

COOKIE_NAME = "biplomacy_session"
SESSION_SECONDS = 8 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: Settings, payload: str) -> str:
    key = hashlib.sha256(b"biplomacy-session:" + settings.secret_key.encode("utf-8")).digest()
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue_session(settings: Settings, actor: Actor, now: float | None = None, version: int = 0) -> str:
    """A cookie value naming `actor` at session version `version` (see users.session_state), valid for
    SESSION_SECONDS."""
    expires = int((time.time() if now is None else now) + SESSION_SECONDS)
    doc = {"n": actor.name, "r": actor.role, "l": actor.lei, "v": version, "exp": expires}
    payload = _b64(json.dumps(doc, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}"


def read_session_claims(settings: Settings, value: str, now: float | None = None) -> tuple[Actor, int] | None:
    """The actor and session version a cookie names, or None when forged, tampered with, malformed or expired."""
    payload, _, mac = value.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(settings, payload)):
        return None
    try:
        doc = json.loads(_unb64(payload))
        name, role, expires, version = str(doc["n"]), str(doc["r"]), int(doc["exp"]), int(doc.get("v", 0))
        lei = doc.get("l")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if expires < (time.time() if now is None else now) or not (lei is None or isinstance(lei, str)):
        return None
    return Actor(name, role, lei), version


def read_session(settings: Settings, value: str, now: float | None = None) -> Actor | None:
    """The actor a cookie names (signature and expiry only; current_actor also checks the users table)."""
    claims = read_session_claims(settings, value, now)
    return None if claims is None else claims[0]


def current_actor(request: Request) -> Actor:
    """The actor of this request (resolved once and kept on request.state)."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    actor = _resolve(request)
    request.state.actor = actor
    return actor


def _resolve(request: Request) -> Actor:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "Authorization header must be `Bearer <token>`",
                                headers={"WWW-Authenticate": "Bearer"})
        actor = users.actor_for_token(request.app.state.store, token.strip())
        if actor is None:
            raise HTTPException(401, "unknown or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        return actor
    claims = session_claims(request)
    return ANONYMOUS if claims is None else claims[0]


ActorDep = Annotated[Actor, Depends(current_actor)]


def is_signed_in(actor: Actor) -> bool:
    return actor != ANONYMOUS


def cookie_secure(request: Request) -> bool:
    """The Secure flag: always when the portal is published at an https:// address (TLS ends in a proxy in
    front of it), else when this request itself came over https."""
    public_url: str = request.app.state.settings.public_url
    return public_url.startswith("https://") or request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, actor: Actor, version: int = 0) -> None:
    response.set_cookie(COOKIE_NAME, issue_session(request.app.state.settings, actor, version=version),
                        max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=cookie_secure(request), path="/")


def session_claims(request: Request) -> tuple[Actor, int] | None:
    """The actor and version the request's session cookie names, if it is validly signed and still current."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    claims = read_session_claims(request.app.state.settings, cookie)
    if claims is not None and users.session_state(request.app.state.store, claims[0].name) == claims:
        return claims
    return None


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")


MAX_FAILURES = 5  # failed logins allowed per user name and client address within WINDOW_SECONDS
MAX_FAILURES_PER_ADDRESS = 20  # across user names from one address (guessing names as well as passwords)
WINDOW_SECONDS = 300
TRUSTED_SECONDS = 30 * 86_400  # a name that logged in from an address is spared that address's count this long
_MAX_KEYS = 50_000  # memory bound: beyond it the keys whose last failure is oldest are forgotten first


class LoginThrottle:
    """Failed logins per (user name, client address) and per address in a sliding window, in this process.

    NIST SP 800-63B section 5.2.2 requires a cap on consecutive failed attempts per account (at most 100)
    and the OWASP Authentication Cheat Sheet recommends throttling or lockout; 5 per 5 minutes per name and
    address, and 20 per address, are this project's choice, not a cited figure. The lockout is per user and
    address: the per-address count (someone trying many names) does not lock out a name that logged in from
    that address within TRUSTED_SECONDS, so a colleague guessing behind the same NAT does not lock out the
    others, and one name's failures never block another name. Behind a reverse proxy the
    client address is the proxy's unless the proxy is listed in BIPLOMACY_TRUSTED_PROXIES (then uvicorn's
    ProxyHeadersMiddleware, added by create_app, puts the forwarded client in request.client). Each server
    process keeps its own counts (`biplomacy serve` runs one).
    """

    def __init__(self, max_failures: int = MAX_FAILURES, per_address: int = MAX_FAILURES_PER_ADDRESS,
                 window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.per_address, self.window, self.clock = max_failures, per_address, window, clock
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._trusted: dict[tuple[str, str], float] = {}  # (name, address) -> its last successful login
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        pair = (("pair", name.strip().casefold(), address), self.max_failures)
        seen = self._trusted.get((name.strip().casefold(), address))
        if seen is not None and seen > self.clock() - TRUSTED_SECONDS:
            return [pair]
        return [pair, (("address", address), self.per_address)]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, name: str, address: str) -> int | None:
        """Whole seconds until this name may try again from this address, or None when it may try now."""
        now = self.clock()
        with self._lock:
            waits = [times[-limit] + self.window - now for key, limit in self._keys(name, address)
                     if len(times := self._recent(key, now)) >= limit]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key, _ in self._keys(name, address):
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > _MAX_KEYS:
                for key in sorted(self._failures, key=lambda k: self._failures[k][-1])[:len(self._failures) // 10]:
                    del self._failures[key]

    def succeeded(self, name: str, address: str) -> None:
        """A right password clears that name's failures from that address (not the address's own count), and
        spares the name that address's count from now on (TRUSTED_SECONDS)."""
        with self._lock:
            self._failures.pop(self._keys(name, address)[0][0], None)
            self._trusted[(name.strip().casefold(), address)] = self.clock()
            if len(self._trusted) > _MAX_KEYS:
                for key in sorted(self._trusted, key=self._trusted.__getitem__)[:len(self._trusted) // 10]:
                    del self._trusted[key]


_THROTTLE_LOCK = threading.Lock()


def login_throttle(request: Request) -> LoginThrottle:
    """The app's one LoginThrottle (made on first use)."""
    state = request.app.state
    with _THROTTLE_LOCK:
        if not isinstance(getattr(state, "login_throttle", None), LoginThrottle):
            state.login_throttle = LoginThrottle()
        return state.login_throttle  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    """The peer's address, or the client a trusted proxy forwarded for (settings.trusted_proxies)."""
    return request.client.host if request.client else "unknown"
