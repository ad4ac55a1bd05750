"""Benchmark: streaming AML scoring over HTTP on loopback, a bounded load run against `supervise aml serve`.

One command sets everything up in a temporary directory: a migrated SQLite store with a supervisor and an
API token, then `biplomacy supervise aml serve --port P` as a separate process (httptools' parser
and uvloop under one asyncio protocol per connection, aml/stream_http_server.py, one worker, state kept on disk: every transfer logged before its answer, every alert fsynced). The client, on
the same machine, opens CONNECTIONS keep-alive connections (asyncio, raw HTTP/1.1 on sockets, one request in
flight per connection, asyncio protocols so that the client costs little CPU) and sends the transfers of a seeded generated set (planted typologies, 3 VASPs) in
time order until all are sent or DURATION seconds have passed. Reported: sustained tx/s (answered / wall),
latency p50/p99/max (send to last byte of the answer), errors (any status but 200), alerts, the CPU time
server and client spent per transfer (less sensitive to other load than the rate), and the state size (GET /health, the snapshot written at shutdown, the log). Target: >= 3,000 tx/s with p99 < 35 ms.
Results are appended to bench/RESULTS-aml.md with the load average and the command.

Run: .venv/bin/python bench/bench_aml_stream.py [--transactions 100000] [--connections 8] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from biplomacy.aml.model.generator import generate

HERE = Path(__file__).parent
PORTAL_PATH = "/api/v1/supervision/aml/score"


def setup(var: Path) -> tuple[dict[str, str], str]:
    """A migrated SQLite store with a supervisor and their API token; the environment for the server."""
    from biplomacy.core.config import load_settings
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.house.users import add_user, issue_token
    from biplomacy.store.db import open_store
    from biplomacy.store.migrate import upgrade

    env = {**os.environ, "BIPLOMACY_VAR_DIR": str(var), "BIPLOMACY_DATABASE_URL": ""}
    store = open_store(load_settings({"BIPLOMACY_VAR_DIR": str(var)}))
    upgrade(store)
    add_user(store, LOCAL_ADMIN, "bench", "supervisor")
    _, token = issue_token(store, LOCAL_ADMIN, "bench", "bench_aml_stream")
    store.dispose()
    return env, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def requests(n: int, seed: int, token: str, path: str = "/score") -> list[bytes]:
    c = generate(n, 3, seed).columns
    out = []
    for i in range(len(c["tx_id"])):
        body = json.dumps({"tx_id": c["tx_id"][i], "timestamp": c["timestamp"][i], "from_account": c["from_account"][i],
                           "to_account": c["to_account"][i], "amount": c["amount"][i], "asset": c["asset"][i],
                           "vasp": c["vasp"][i]}).encode()
        out.append(b"POST " + path.encode() + b" HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer " + token.encode()
                   + b"\r\ncontent-type: application/json\r\ncontent-length: " + str(len(body)).encode()
                   + b"\r\n\r\n" + body)
    return out


async def _get(port: int, path: str, token: str) -> tuple[int, bytes]:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\r\n".encode())
    status, body = await _answer(r)
    w.close()
    return status, body


async def _answer(r: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await r.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    return int(head.split(b" ", 2)[1]), await r.readexactly(length)


class _Client(asyncio.Protocol):
    """One keep-alive connection: sends the next request as soon as the previous answer is complete."""

    def __init__(self, run: _Run):
        self.run, self.buf, self.i, self.t0 = run, bytearray(), -1, 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.i = self.run.take()
        if self.i < 0:
            self.transport.close()
            return
        self.t0 = time.perf_counter()
        self.transport.write(self.run.reqs[self.i])

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end])
        length = next(int(v) for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")[1:])
                      if k.lower() == b"content-length")
        if len(self.buf) < end + 4 + length:
            return
        body = bytes(self.buf[end + 4:end + 4 + length])
        del self.buf[:end + 4 + length]
        self.run.done(self.i, time.perf_counter() - self.t0, int(head.split(b" ", 2)[1]), body)
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.closed += 1
        if self.run.closed == self.run.connections and not self.run.finished.done():
            self.run.finished.set_result(None)


class _Run:
    def __init__(self, reqs: list[bytes], connections: int, duration: float):
        self.reqs, self.connections = reqs, connections
        self.lat = np.full(len(reqs), np.nan)
        self.errors: list[str] = []
        self.alerts = self.next = self.closed = 0
        self.deadline = time.perf_counter() + duration
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def take(self) -> int:
        if self.next >= len(self.reqs) or time.perf_counter() > self.deadline:
            return -1
        self.next += 1
        return self.next - 1

    def done(self, i: int, seconds: float, status: int, body: bytes) -> None:
        self.lat[i] = seconds
        if status != 200:
            self.errors.append(f"{status} {body[:200]!r}")
        elif b'"alerts":[]' not in body:
            self.alerts += len(json.loads(body)["alerts"])


async def load(port: int, reqs: list[bytes], connections: int, duration: float) -> dict[str, object]:
    """Send `reqs` over `connections` keep-alive connections, one request in flight on each."""
    run = _Run(reqs, connections, duration)
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    for _ in range(connections):
        await loop.create_connection(lambda: _Client(run), "127.0.0.1", port)
    await run.finished
    wall = time.perf_counter() - t0
    done = run.lat[~np.isnan(run.lat)]
    return {"sent": len(done), "wall_s": wall, "tx_per_s": len(done) / wall, "p50_ms": float(np.percentile(done, 50) * 1e3),
            "p99_ms": float(np.percentile(done, 99) * 1e3), "max_ms": float(done.max() * 1e3),
            "errors": len(run.errors), "first_errors": run.errors[:3], "alerts": run.alerts}


async def wait_up(port: int, token: str, proc: subprocess.Popen[bytes], path: str) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if (await _get(port, path, token))[0] == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the server did not come up in 30 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc; NaN elsewhere)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=100_000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--profile", type=Path, default=None,
                    help="A rule profile (with its learned scorer) for `supervise aml serve --profile`.")
    ap.add_argument("--portal", action="store_true",
                    help="Measure the portal's POST /api/v1/supervision/aml/score (`biplomacy serve`) instead.")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-aml-stream-") as tmp:
        var = Path(tmp) / "var"
        env, token = setup(var)
        reqs = requests(a.transactions, a.seed, token, PORTAL_PATH if a.portal else "/score")
        port = free_port()
        biplomacy = Path(sys.executable).with_name("biplomacy")
        command = ["serve"] if a.portal else ["supervise", "aml", "serve"]
        extra = ["--profile", str(a.profile.resolve())] if a.profile is not None and not a.portal else []
        proc = subprocess.Popen([str(biplomacy), *command, "--port", str(port), *extra], env=env)
        try:
            asyncio.run(wait_up(port, token, proc, "/api/docs" if a.portal else "/health"))
            load_before = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
            cpu0 = _cpu_seconds(proc.pid), _own_cpu_seconds()
            res = asyncio.run(load(port, reqs, a.connections, a.duration))
            cpu1 = _cpu_seconds(proc.pid), _own_cpu_seconds()
            size = None if a.portal else json.loads(asyncio.run(_get(port, "/health", token))[1])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        state = var / "aml-stream"
        disk = {p.name: p.stat().st_size for p in state.iterdir() if p.is_file()}
    load_after = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    server = ("the portal, `biplomacy serve` (FastAPI on uvicorn, per-request token lookup, state on disk)"
              if a.portal else
              "`supervise aml serve` (httptools' parser + uvloop, own protocol, no ASGI server, 1 process, state on disk)")
    ok = res["tx_per_s"] >= 3000 and res["p99_ms"] < 35 and not res["errors"]  # type: ignore[operator]
    lines = [f"\n## AML streaming over HTTP, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared), Python {sys.version.split()[0]}",
             f"Command: `.venv/bin/python bench/bench_aml_stream.py --transactions {a.transactions} "
             f"--connections {a.connections} --duration {a.duration:g}{' --portal' if a.portal else ''}"
             f"{f' --profile {a.profile}' if a.profile else ''}`; load average before {' '.join(load_before)}, "
             f"after {' '.join(load_after)}", "",
             f"- {server}, {a.connections} keep-alive connections, "
             f"client on the same machine: {res['sent']:,} transfers in {res['wall_s']:.1f} s, "
             f"**{res['tx_per_s']:,.0f} tx/s** sustained, p50 {res['p50_ms']:.2f} ms, **p99 {res['p99_ms']:.2f} ms**, "
             f"max {res['max_ms']:.1f} ms; {res['errors']} errors; {res['alerts']} alerts "
             f"({'meets' if ok else 'misses'} >= 3,000 tx/s with p99 < 35 ms); CPU per transfer: server "
             f"{(cpu1[0] - cpu0[0]) / res['sent'] * 1e6:.0f} µs, client {(cpu1[1] - cpu0[1]) / res['sent'] * 1e6:.0f} µs"]
    if size:
        lines.append(f"- State: {size['accounts']:,} accounts ({size['active_accounts']:,} with open windows), "
                     f"{size['window_entries']:,} window entries, {size['pending_forwards']:,} pending forwards, "
                     f"{size['neighbour_entries']:,} counterparty entries, {size['remembered_ids']:,} ids; on disk "
                     f"after shutdown: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(disk.items()) if v))
    if res["first_errors"]:
        lines.append(f"- First errors: {res['first_errors']}")
    text = "\n".join(lines) + "\n"
    print(text)
    with (HERE / "RESULTS-aml.md").open("a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
