"""The rehearsal chain served over the Electrum protocol (TCP, loopback) to Electrum, Sparrow, BDK and any wallet.

One thread per connection reads JSON-RPC lines and answers them (electrum_methods.py has the methods). The
server's own loop polls the chain's state every half second (the chain lives in the database, and `reserve chain
mine`, `fund`, `reorg` and broadcasts may come from other processes, as electrs polls bitcoind) and, when it
changed, pushes each client the notifications it subscribed to: `blockchain.headers.subscribe` with the new tip
after a block or a reorg, `blockchain.scripthash.subscribe` with the new status of each watched script after a
block, a mempool transaction or a reorg. docs/adr/0004-rehearsal-electrum-server.md says why it is hand-written.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from typing import Any

from biplomacy.core.errors import InputError
from biplomacy.reserve.rehearsal import chain
from biplomacy.reserve.rehearsal.electrum_methods import SERVER_VERSION, RehearsalElectrum, Session
from biplomacy.reserve.rehearsal.model import electrum_protocol as ep

__all__ = ["SERVER_VERSION", "ElectrumServer", "RehearsalElectrum"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")
POLL_SECONDS = 0.5  # how often the chain's state is read for notifications


class _Handler(socketserver.StreamRequestHandler):
    server: ElectrumServer

    def setup(self) -> None:
        super().setup()
        self.session = Session(self.server.backend)
        self.write_lock = threading.Lock()
        self.server.joined(self)

    def finish(self) -> None:
        self.server.left(self)
        super().finish()

    def send(self, data: bytes) -> bool:
        """Write one answer or notification; False when the client is gone (its thread will end)."""
        with self.write_lock:
            try:
                self.wfile.write(data)
                self.wfile.flush()
                return True
            except OSError:
                return False

    def handle(self) -> None:
        methods = self.server.backend.methods(self.session)
        while True:
            try:
                line = self.rfile.readline(ep.MAX_LINE + 1)
            except OSError:
                return
            if not line:
                return
            if not line.strip():
                continue
            answer = ep.handle_line(line, methods)
            if answer is not None and not self.send(answer):
                return


class ElectrumServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server, one thread per client connection, and a poller that pushes notifications."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, backend: RehearsalElectrum, host: str = "127.0.0.1", port: int = 50001) -> None:
        if host not in LOOPBACK:
            raise InputError(f"the rehearsal Electrum server listens on loopback only, not {host!r}", field="host")
        self.backend = backend
        self._clients: set[_Handler] = set()
        self._clients_lock = threading.Lock()
        self._state: Any = None
        self._next_poll = 0.0
        if ":" in host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", field="port") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"tcp://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def joined(self, client: _Handler) -> None:
        with self._clients_lock:
            self._clients.add(client)

    def left(self, client: _Handler) -> None:
        with self._clients_lock:
            self._clients.discard(client)

    def service_actions(self) -> None:
        """Called by serve_forever between requests (every poll_interval): notify on a change of the chain."""
        now = time.monotonic()
        if now < self._next_poll:
            return
        self._next_poll = now + POLL_SECONDS
        self.notify_changes()

    def notify_changes(self) -> int:
        """Push what each client is owed if the chain changed since the last look; the notifications sent."""
        try:
            state = chain.state_token(self.backend.store)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the server; the next poll retries
            return 0
        if state == self._state:
            return 0
        self._state = state
        with self._clients_lock:
            clients = list(self._clients)
        sent = 0
        for client in clients:
            try:
                changes = client.session.changes()
            except Exception:  # noqa: BLE001 - one client's failed read must not starve the others
                continue
            for note in changes:
                if client.send(note):
                    sent += 1
        return sent

    def serve_forever(self, poll_interval: float = POLL_SECONDS) -> None:
        self._state = chain.state_token(self.backend.store)
        super().serve_forever(poll_interval)

    def start(self) -> threading.Thread:
        """Serve on a background thread (tests, the bench); `shutdown()` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="rehearsal-electrum", daemon=True)
        thread.start()
        return thread
