"""Request bodies have a size limit, enforced before the body is read (a pure ASGI middleware).

A body declared larger than the limit (Content-Length) is answered 413 at once, without reading a byte of
it; a chunked body is read only up to the limit. Anonymous requests (no session cookie, no bearer token) get
the small limit: what the public may post (a login form, a raw transaction to the rehearsal chain) is small,
and an anonymous 100 MB body must cost nothing before it is refused. Signed-in requests get the larger one
(PSBTs with their previous transactions, travel-rule payloads, attestations).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ANONYMOUS_MAX_BYTES = 512 * 1024  # a standard transaction (<= 100 kvB, policy) is 200 kB as hex
SIGNED_IN_MAX_BYTES = 8 * 1024 * 1024  # a PSBT spending many inputs with their full previous transactions

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _limit(scope: Scope) -> int:
    headers = dict(scope.get("headers") or [])
    cookie = headers.get(b"cookie", b"")
    signed_in = b"authorization" in headers or b"biplomacy_session=" in cookie
    return SIGNED_IN_MAX_BYTES if signed_in else ANONYMOUS_MAX_BYTES


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is over {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse (413) a body over the limit before it reaches the app; replay a small one to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        limit = _limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False  # the server refuses a malformed Content-Length itself
            if too_big:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)  # the server never hands over more than it declared
            return
        chunks: list[Message] = []
        size = 0
        while True:  # chunked: read up to the limit, then replay what was read
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)
