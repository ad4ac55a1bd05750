"""Who is asking: a signed session cookie after login, or `Authorization: Bearer <token>`; else the public.

The cookie holds the user's name, role, entity (LEI, for a vasp user), session version and expiry, signed
with HMAC-SHA256 under settings.secret_key, so the server keeps no session table. On every request that
carries a validly signed cookie the user is read back from the users table (one indexed read): a user who
was disabled or removed, or whose role or entity changed since login (its session version moved on), is
anonymous again at once, not when the cookie expires. Requests without a session cookie (the public)
cost no database work here. Routers take the actor with `actor: ActorDep` and call
`authorize(actor, "x.y")`; a token that is presented but unknown is a 401, never silently anonymous.

Failed logins are throttled per user name and client address (house/login_throttle.py, counted in the
database so that every worker process sees them): after 5 failures of one name from one address within 5
minutes the login form answers 429 with Retry-After, even to the right password. Logging out ends the
user's sessions on the server (users.end_sessions bumps the session version), so a copied cookie is dead
after logout, on every worker at once, not only when it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from biplomacy.core.config import Settings
from biplomacy.core.permissions import ANONYMOUS, Actor
from biplomacy.house import users
from biplomacy.house.login_throttle import LoginThrottle

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


_THROTTLE_LOCK = threading.Lock()


def login_throttle(request: Request) -> LoginThrottle:
    """The app's LoginThrottle (made on first use): its counts are in the database (house/login_throttle.py),
    so every worker process of the portal sees the same ones."""
    state = request.app.state
    with _THROTTLE_LOCK:
        if not isinstance(getattr(state, "login_throttle", None), LoginThrottle):
            state.login_throttle = LoginThrottle(state.store)
        return state.login_throttle  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    """The peer's address, or the client a trusted proxy forwarded for (settings.trusted_proxies)."""
    return request.client.host if request.client else "unknown"
