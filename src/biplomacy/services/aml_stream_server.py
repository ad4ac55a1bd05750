"""A lean loopback HTTP server for streaming AML scoring: HTTP/1.1 keep-alive on asyncio, no portal around it.

`POST /score` (also `POST /api/v1/supervision/aml/score`, the portal's path) takes one transfer as JSON and
answers the StreamScorer's result; `GET /health` answers the state's size. Every request needs
`Authorization: Bearer <token>` of an active user allowed `aml.scan` (tokens: `biplomacy users token`). A
token's SHA-256 is looked up in the store once and the answer kept for TOKEN_TTL seconds, so a revoked token
stops working within that time, and the store is not read on every transfer. A bad body is a 422 JSON
`{"detail", "field", "issues"}` naming each field (the portal's shape); nothing is scored then. An answer
carrying alerts is sent once they are fsynced; the fsync runs in a thread, so other connections are served
meanwhile (requests pipelined behind it on the same connection wait, answers stay in order).

The HTTP layer is a small asyncio protocol rather than uvicorn: with the pure-Python h11 parser (httptools
and uvloop are not dependencies) uvicorn answered about 2,000 requests/s here, under the 3,000 tx/s
figure; see docs/adr/0005-aml-stream-http-server.md. It takes only what a loopback scoring client sends:
requests with a Content-Length body (chunked bodies are refused with 411), heads up to 16 KiB, bodies up to
64 KiB; every other case ends the connection with a JSON error.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import signal
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

from biplomacy.errors import BiplomacyError, ConfigError, InputError, PermissionDenied
from biplomacy.permissions import Actor, authorize
from biplomacy.services.aml_stream import StreamScorer
from biplomacy.services.aml_stream_body import ScoreRequest, to_tx

TOKEN_TTL = 30.0
MAX_BODY = 64 * 1024
MAX_HEAD = 16 * 1024
log = logging.getLogger("biplomacy.aml.stream")
SCORE_PATHS = frozenset({"/score", "/api/v1/supervision/aml/score"})



class TokenCache:
    """Bearer token -> actor, from `lookup` (the store) at most once per TOKEN_TTL per token."""

    def __init__(self, lookup: Callable[[str], Actor | None], ttl: float = TOKEN_TTL):
        self.lookup, self.ttl = lookup, ttl
        self.known: dict[str, tuple[Actor | None, float]] = {}

    def actor(self, token: str) -> Actor | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        hit = self.known.get(key)
        if hit is None or hit[1] < now:
            if len(self.known) > 10_000:
                self.known.clear()
            hit = self.known[key] = (self.lookup(token), now + self.ttl)
        return hit[0]


class StreamService:
    """What the server answers, given a parsed request: (HTTP status, JSON document)."""

    def __init__(self, scorer: StreamScorer, tokens: TokenCache):
        self.scorer, self.tokens = scorer, tokens

    def handle(self, method: str, path: str, authorization: str, body: bytes,
               sync: bool = True) -> tuple[int, dict[str, Any]]:
        """With sync=False, a 200 answer with alerts and `stored: true` must wait for scorer.sync_alerts()."""
        if path not in SCORE_PATHS and path != "/health":
            return 404, {"detail": f"no such path {path}; POST /score or GET /health"}
        denied = self._authenticate(authorization)
        if denied is not None:
            return denied
        if path == "/health":
            return (200, self.scorer.size()) if method == "GET" else (405, {"detail": "GET /health"})
        if method != "POST":
            return 405, {"detail": f"{path} takes POST"}
        try:
            tx = to_tx(ScoreRequest.model_validate_json(body))
            return 200, self.scorer.score(tx, sync=sync)
        except ValidationError as exc:
            issues = [{"code": str(e.get("type", "invalid")), "path": ".".join(str(p) for p in e.get("loc", ())) or "body",
                       "message": str(e.get("msg", ""))} for e in exc.errors()]
            return 422, {"detail": f"the request has {len(issues)} problem(s): "
                         + "; ".join(f"{i['path']}: {i['message']}" for i in issues[:10]),
                         "field": issues[0]["path"] if issues else None, "issues": issues}
        except InputError as exc:
            return 422, {"detail": str(exc), "field": exc.field, "issues": [i.as_dict() for i in exc.issues]}

    def _authenticate(self, header: str) -> tuple[int, dict[str, Any]] | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return 401, {"detail": "Authorization header must be `Bearer <token>`"}
        try:
            actor = self.tokens.actor(token.strip())
        except BiplomacyError as exc:
            return 503, {"detail": f"the token could not be checked: {exc}"}
        if actor is None:
            return 401, {"detail": "unknown or revoked API token"}
        try:
            authorize(actor, "aml.scan")
        except PermissionDenied as exc:
            return 403, {"detail": str(exc)}
        return None


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: requests with a Content-Length body (or none), answered in order."""

    def __init__(self, service: StreamService):
        self.service = service
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.syncing = False  # an answer waits for its alerts to reach the disk; later requests wait behind it

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._serve()

    def _serve(self) -> None:
        while not self.syncing and self.transport is not None and not self.transport.is_closing():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    self._reply(431, {"detail": f"request head over {MAX_HEAD} bytes"}, keep=False)
                return
            request = _head(bytes(self.buf[:end]))
            if isinstance(request, Refused):  # a request we cannot read; the connection ends
                self._reply(request.status, {"detail": request.why}, keep=False)
                return
            method, path, headers, keep = request
            length = int(headers.get("content-length", "0"))
            if length > MAX_BODY:
                self._reply(413, {"detail": f"the body is over {MAX_BODY} bytes (one transfer is expected)"},
                            keep=False)
                return
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            try:
                status, doc = self.service.handle(method, path, headers.get("authorization", ""), body, sync=False)
            except Exception:  # ours, unexpected: logged; the client gets a 500 and the connection stays usable
                log.exception("unexpected error on %s %s", method, path)
                status, doc = 500, {"detail": "Something went wrong on our side; the error has been logged."}
            if status == 200 and doc.get("alerts") and doc.get("stored"):
                # fsync in a thread: other connections are served meanwhile, this answer waits for the disk
                self.syncing = True
                done = asyncio.get_running_loop().run_in_executor(None, self.service.scorer.sync_alerts)
                done.add_done_callback(functools.partial(self._synced, doc=doc, keep=keep))
                return
            self._reply(status, doc, keep)

    def _synced(self, done: asyncio.Future[None], *, doc: dict[str, Any], keep: bool) -> None:
        self.syncing = False
        exc = done.exception()
        if exc is not None:
            doc["stored"] = False
            doc["not_stored_because"] = f"the alerts could not be put on disk ({exc})"
        if self.transport is not None and not self.transport.is_closing():
            self._reply(200, doc, keep)
            self._serve()

    def _reply(self, status: int, doc: dict[str, Any], keep: bool) -> None:
        assert self.transport is not None
        body = json.dumps(doc, separators=(",", ":")).encode()
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\n" + ("" if keep else "connection: close\r\n")
                + ("www-authenticate: Bearer\r\n" if status == 401 else "") + "\r\n")
        self.transport.write(head.encode() + body)
        if not keep:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class Refused:
    """A request head that cannot be served: the status and why."""

    def __init__(self, status: int, why: str):
        self.status, self.why = status, why


def _head(raw: bytes) -> tuple[str, str, dict[str, str], bool] | Refused:
    """(method, path, headers, keep-alive) of a request head, or why it cannot be served."""
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return Refused(400, f"not an HTTP/1.x request line: {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return Refused(400, f"malformed header line {line[:100]!r}")
        headers[name.lower()] = value.strip()
    if "transfer-encoding" in headers:
        return Refused(411, "send the body with a Content-Length (chunked bodies are not taken)")
    if not headers.get("content-length", "0").isdigit():
        return Refused(400, "Content-Length must be a number of bytes")
    conn = headers.get("connection", "").lower()
    keep = conn != "close" if parts[2] == "HTTP/1.1" else conn == "keep-alive"
    return parts[0], parts[1].split("?", 1)[0], headers, keep


async def open_server(service: StreamService, port: int) -> asyncio.Server:
    """Listen on 127.0.0.1:port (0: any free port) in the running loop."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Connection(service), "127.0.0.1", port)


def serve(service: StreamService, port: int, ready: Callable[[], None] = lambda: None) -> None:
    """Serve on 127.0.0.1:port until SIGINT or SIGTERM; then snapshot the scorer's state and return."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            server = await open_server(service, port)
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror})", field="--port") from None
        ready()
        try:
            await stop.wait()
        finally:
            server.close()
            await server.wait_closed()

    try:
        asyncio.run(run())
    finally:
        service.scorer.close()
