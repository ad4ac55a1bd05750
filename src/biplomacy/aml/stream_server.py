"""The loopback HTTP server of streaming AML scoring: httptools' parser and uvloop, no framework (stream_http_server.py).

`POST /score` (also `POST /api/v1/supervision/aml/score`, the portal's path) takes one transfer as JSON and
answers the StreamScorer's result; `GET /health` answers the state's size. Every request needs
`Authorization: Bearer <token>` of an active user allowed `aml.scan` (tokens: `biplomacy users token`). A
token is looked up in the store once and the answer kept while the audit log's newest seq stays where it was
(TokenCache): revoking a token, disabling a user or changing a role is audited in its own transaction, so the
first request after it commits looks the token up again, and a transfer costs one index probe, not a lookup.
A bad body is a 422 JSON
`{"detail", "field", "issues"}` naming each field (the portal's shape); nothing is scored then. An answer
carrying alerts is sent once they are fsynced; the fsync runs in a worker thread, so other connections are
served meanwhile (pipelined requests on one connection are answered in order).

HTTP parsing (request line, headers, chunked bodies, keep-alive, malformed requests) is httptools'; each
complete request is answered in the parser's callback (aml/stream_http_server.py). No framework and no ASGI server sit
in between: their per-request tasks and messages cost more server CPU than the scoring itself
(docs/adr/0005-aml-stream-http-server.md).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import signal
import socket
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from biplomacy.aml.stream import StreamScorer
from biplomacy.aml.stream_http_server import StreamHTTPServer
from biplomacy.aml.web_score_body import ScoreRequest, to_tx
from biplomacy.core.errors import BiplomacyError, ConfigError, InputError, PermissionDenied
from biplomacy.core.permissions import Actor, authorize
from biplomacy.house.audit_cache import LatestSeq
from biplomacy.house.users import actor_for_token
from biplomacy.store.db import Store

MAX_TOKENS = 10_000  # answers kept (wrong tokens included) before all are forgotten
# Python's collector walks the young objects every 700 allocations and, now and then, the whole heap: with the
# scorer's state (millions of objects that live as long as the server) that was ~19 us of every transfer's CPU
# (gc.callbacks, 100,000 transfers in process, bench/RESULTS-aml.md 2026-12-06). The state loaded at start is
# frozen out of the collector's walks, and the young generation collected every 20,000 allocations: ~3 us.
GC_THRESHOLDS = (20_000, 20, 20)
log = logging.getLogger("biplomacy.aml.stream")
SCORE_PATHS = frozenset({"/score", "/api/v1/supervision/aml/score"})
_UNSEEN = object()


class TokenCache:
    """Bearer token -> actor from `lookup` (the store), kept while `marker()` answers what it answered before.

    The marker is read before any lookup, so an answer is at least as new as the marker it is kept under; every
    change that can end a token's access moves the marker (LatestSeq: the audit log's newest seq), and then
    all answers are forgotten at once.
    """

    def __init__(self, lookup: Callable[[str], Actor | None], marker: Callable[[], object]):
        self.lookup, self.marker = lookup, marker
        self.seen: object = _UNSEEN
        self.known: dict[str, Actor | None] = {}

    @classmethod
    def of_store(cls, store: Store) -> TokenCache:
        """Tokens of `store`'s users, kept until the audit log moves (call close() when done)."""
        return cls(lambda token: actor_for_token(store, token), LatestSeq(store))

    def actor(self, token: str) -> Actor | None:
        mark = self.marker()
        if mark != self.seen or len(self.known) >= MAX_TOKENS:
            self.known.clear()
            self.seen = mark
        key = hashlib.sha256(token.encode()).hexdigest()
        if key not in self.known:
            self.known[key] = self.lookup(token)
        return self.known[key]

    def close(self) -> None:
        if isinstance(self.marker, LatestSeq):
            self.marker.close()


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
            return (200, self.scorer.size().to_json()) if method == "GET" else (405, {"detail": "GET /health"})
        if method != "POST":
            return 405, {"detail": f"{path} takes POST"}
        try:
            tx = to_tx(ScoreRequest.model_validate_json(body))
            return 200, self.scorer.score(tx, sync=sync).to_json()
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


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:port (0: any free port); a port in use is a clear error naming the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})", field="port") from None
    return sock


def make_server(service: StreamService) -> StreamHTTPServer:
    """The HTTP server of `service` (aml/stream_http_server.py); run it on `listen()`'s socket."""
    return StreamHTTPServer(service)


def serve(service: StreamService, port: int, ready: Callable[[], None] = lambda: None) -> None:
    """Serve on 127.0.0.1:port until SIGINT or SIGTERM; then snapshot the scorer's state."""
    import uvloop

    try:
        sock = listen(port)
        server = make_server(service)
        kept = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

        async def run() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, setattr, server, "should_exit", True)
            await server.serve([sock], ready)

        try:
            uvloop.run(run())
        finally:
            sock.close()
            gc.set_threshold(*kept)  # as they were, for a caller that goes on (tests serve in process)
            gc.unfreeze()
    finally:
        service.tokens.close()
        service.scorer.close()
