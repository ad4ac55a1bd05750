"""Who is asking: a signed session cookie after login, or `Authorization: Bearer <token>`; else the public.

The cookie holds the user's name, role and expiry, signed with HMAC-SHA256 under settings.secret_key, so
the server keeps no session table. Routers take the actor with `actor: ActorDep` and call
`authorize(actor, "x.y")`; a token that is presented but unknown is a 401, never silently anonymous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from biplomacy.config import Settings
from biplomacy.permissions import ANONYMOUS, Actor
from biplomacy.services import users

COOKIE_NAME = "biplomacy_session"
SESSION_SECONDS = 8 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: Settings, payload: str) -> str:
    key = hashlib.sha256(b"biplomacy-session:" + settings.secret_key.encode("utf-8")).digest()
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue_session(settings: Settings, actor: Actor, now: float | None = None) -> str:
    """A cookie value naming `actor`, valid for SESSION_SECONDS."""
    expires = int((time.time() if now is None else now) + SESSION_SECONDS)
    payload = _b64(json.dumps({"n": actor.name, "r": actor.role, "exp": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}"


def read_session(settings: Settings, value: str, now: float | None = None) -> Actor | None:
    """The actor a cookie names, or None when it is forged, tampered with, malformed or expired."""
    payload, _, mac = value.partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(settings, payload)):
        return None
    try:
        doc = json.loads(_unb64(payload))
        name, role, expires = str(doc["n"]), str(doc["r"]), int(doc["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return Actor(name, role)


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
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        actor = read_session(request.app.state.settings, cookie)
        if actor is not None:
            return actor
    return ANONYMOUS


ActorDep = Annotated[Actor, Depends(current_actor)]


def is_signed_in(actor: Actor) -> bool:
    return actor != ANONYMOUS


def set_session_cookie(request: Request, response: Response, actor: Actor) -> None:
    response.set_cookie(COOKIE_NAME, issue_session(request.app.state.settings, actor), max_age=SESSION_SECONDS,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")
