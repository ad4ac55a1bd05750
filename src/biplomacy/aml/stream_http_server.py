"""HTTP/1.1 for the streaming AML server: httptools' parser under one asyncio protocol per connection.

Each complete request is answered by `StreamService.handle` in the callback that completes it, with no task, no
ASGI messages and no per-request coroutine in between: with the learned scorer those cost more server CPU than
the scoring (docs/adr/0005-aml-stream-http-server.md). The parsing itself (request line, headers, chunked
bodies, keep-alive, HTTP/1.0, malformed input) is httptools' (llhttp, Node.js's parser); what is ours is the
order of answers and the connection's life:
- answers go out in the order the requests came, pipelined or not; an answer whose alerts must reach the disk
  first waits for the fsync (in a worker thread) and holds back the answers behind it, while other connections
  go on;
- a connection with more than MAX_PENDING answers held back, or whose socket buffer is full, stops being read
  until it drains;
- a malformed request gets 400 and the connection is closed; a body over MAX_BODY gets 413 and a close;
  headers over MAX_HEAD bytes get 431 and a close; a connection idle for KEEP_ALIVE_S seconds is closed;
- on stop, the listening socket closes, answers in flight are finished (up to STOP_GRACE_S) and then every
  connection is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, cast

import httptools

MAX_BODY = 64 * 1024
MAX_HEAD = 16 * 1024
MAX_PENDING = 64
KEEP_ALIVE_S = 5.0
STOP_GRACE_S = 10.0
log = logging.getLogger("biplomacy.aml.stream")
_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 403: b"Forbidden", 404: b"Not Found",
            405: b"Method Not Allowed", 413: b"Content Too Large", 422: b"Unprocessable Content",
            431: b"Request Header Fields Too Large", 500: b"Internal Server Error", 503: b"Service Unavailable"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def response(status: int, doc: dict[str, Any], close: bool = False) -> bytes:
    """The bytes of a JSON answer (HTTP/1.1, content-length; `connection: close` when the connection ends)."""
    body = json.dumps(doc, separators=(",", ":")).encode()
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status, _REASONS.get(status, b"Unknown"), len(body))
    if status == 401:
        head += b"www-authenticate: Bearer\r\n"
    if close:
        head += b"connection: close\r\n"
    return head + b"\r\n" + body


class Service(Protocol):
    """What the server answers with (aml/stream_server.StreamService)."""

    scorer: Any  # its sync_alerts() puts the alerts of answers marked stored on disk

    def handle(self, method: str, path: str, authorization: str, body: bytes,
               sync: bool = True) -> tuple[int, dict[str, Any]]: ...


class _Answer:
    """One request's place in its connection's line of answers: the bytes once known, and whether to close."""

    __slots__ = ("data", "close")

    def __init__(self, data: bytes | None, close: bool):
        self.data, self.close = data, close


class _Connection(asyncio.Protocol):
    def __init__(self, server: StreamHTTPServer):
        self.server, self.service = server, server.service
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.line: deque[_Answer] = deque()
        self.url, self.auth, self.body = b"", "", bytearray()
        self.head_bytes, self.refused = 0, False
        self.read_paused = self.write_paused = self.closing = False
        self.last_active = 0.0

    # the connection
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self.last_active = self.server.loop.time()
        self.server.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.closing = True

    def data_received(self, data: bytes) -> None:
        if self.closing or self.refused:
            return
        self.last_active = self.server.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "Invalid HTTP request received: protocol upgrades are not served")
        except httptools.HttpParserError as exc:
            if not self.refused:
                self._refuse(400, f"Invalid HTTP request received ({exc})")

    def pause_writing(self) -> None:
        self.write_paused = True
        self._reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._reading()

    # httptools' callbacks
    def on_message_begin(self) -> None:
        self.url, self.auth, self.head_bytes = b"", "", 0
        self.body.clear()

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        lower = name.lower()
        if lower == b"authorization":
            self.auth = value.decode("latin-1")
        elif lower == b"expect" and value.lower() == b"100-continue" and self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_BODY:
            self._refuse(413, f"the body is over {MAX_BODY} bytes (one transfer is expected)")
            raise httptools.HttpParserError("body too large")

    def on_message_complete(self) -> None:
        method = self.parser.get_method().decode("ascii", "replace")
        path = self.url.partition(b"?")[0].decode("latin-1")
        answer = _Answer(None, not self.parser.should_keep_alive())
        self.line.append(answer)
        try:
            status, doc = self.service.handle(method, path, self.auth, bytes(self.body), sync=False)
        except Exception:  # ours, unexpected: logged; the client gets a 500 and the connection stays usable
            log.exception("unexpected error on %s %s", method, path)
            status, doc = 500, {"detail": "Something went wrong on our side; the error has been logged."}
        if status == 200 and doc.get("alerts") and doc.get("stored"):
            # the answer waits for its alerts to reach the disk; other connections go on meanwhile
            waiting = self.server.loop.run_in_executor(None, self.service.scorer.sync_alerts)
            waiting.add_done_callback(lambda done: self._synced(answer, doc, done))
        else:
            answer.data = response(status, doc, answer.close)
        self._flush()

    # ours
    def _synced(self, answer: _Answer, doc: dict[str, Any], done: asyncio.Future[None]) -> None:
        exc = done.exception()
        if exc is not None:
            doc["stored"] = False
            doc["not_stored_because"] = f"the alerts could not be put on disk ({exc})"
        answer.data = response(200, doc, answer.close)
        self._flush()

    def _flush(self) -> None:
        """Writes the answers at the head of the line that are ready; closes after one that ends the connection."""
        if self.transport is None or self.closing:
            return
        out = []
        while self.line and self.line[0].data is not None:
            answer = self.line.popleft()
            out.append(answer.data)
            if answer.close:
                self.line.clear()
                self.transport.write(b"".join(out))  # type: ignore[arg-type]
                self._close()
                return
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))  # type: ignore[arg-type]
        self._reading()
        if not self.line and self.server.stopping:
            self._close()

    def _reading(self) -> None:
        """Reads while the line is short and the socket takes our writes; stops reading otherwise."""
        if self.transport is None or self.closing:
            return
        pause = self.write_paused or len(self.line) >= MAX_PENDING
        if pause and not self.read_paused:
            self.transport.pause_reading()
        elif not pause and self.read_paused:
            self.transport.resume_reading()
        self.read_paused = pause

    def _count_head(self, n: int) -> None:
        self.head_bytes += n
        if self.head_bytes > MAX_HEAD and not self.refused:
            self._refuse(431, f"the request line and headers are over {MAX_HEAD} bytes")
            raise httptools.HttpParserError("headers too large")

    def _refuse(self, status: int, detail: str) -> None:
        """Answers `status` after the answers before it, then closes: the rest of the input is not read."""
        self.refused = True
        self.line.append(_Answer(response(status, {"detail": detail}, close=True), True))
        self._flush()

    def _close(self) -> None:
        if not self.closing and self.transport is not None:
            self.closing = True
            self.transport.close()

    def idle(self, now: float) -> bool:
        return not self.line and now - self.last_active > KEEP_ALIVE_S


class StreamHTTPServer:
    """Serves `service` on given listening sockets until `should_exit` is set (from any thread or a signal)."""

    def __init__(self, service: Service):
        self.service = service
        self.connections: set[_Connection] = set()
        self.started = self.should_exit = self.stopping = False
        self.loop: asyncio.AbstractEventLoop  # set by serve(), before any connection

    def run(self, sockets: list[socket.socket]) -> None:
        """Blocks: serve() on a fresh uvloop event loop."""
        import uvloop

        uvloop.run(self.serve(sockets))

    async def serve(self, sockets: list[socket.socket], ready: Callable[[], None] = lambda: None) -> None:
        self.loop = asyncio.get_running_loop()
        servers = [await self.loop.create_server(lambda: _Connection(self), sock=s, backlog=2048) for s in sockets]
        self.started = True
        ready()
        try:
            while not self.should_exit:
                await asyncio.sleep(0.1)
                now = self.loop.time()
                for conn in [c for c in self.connections if c.idle(now)]:
                    conn._close()
        finally:
            self.stopping = True
            for srv in servers:
                srv.close()
            deadline = self.loop.time() + STOP_GRACE_S
            while any(c.line for c in self.connections) and self.loop.time() < deadline:
                await asyncio.sleep(0.01)
            for conn in list(self.connections):
                conn._close()
            for srv in servers:
                await srv.wait_closed()
