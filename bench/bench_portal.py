"""Benchmark: every public page and public API read of the portal under load, beside /healthz, in one run.

What it does, on loopback only (127.0.0.1; nothing else is contacted):
1. a demo database: `biplomacy demo run` into a temporary folder (or --var-dir, a folder that already has one);
2. for each --workers count (default 1 and 2): the portal under uvicorn with that many worker processes
   (`biplomacy.web.app:app_from_environment --factory`), then each public read (web/page_cache.PUBLIC_ROUTES,
   with the demo's ids filled in) visited once (its first render; a risk run is waited for), checked to answer
   304 to a repeat visit with its ETag, and loaded with --connections keep-alive connections for at most
   --requests requests or --seconds seconds, whichever comes first; / and /energy once more as repeat
   visits (every request with the ETag, 304 expected), and /supervision/register and /energy while this
   process makes an audited write every 0.5 s (each write makes every page render afresh); /healthz (the framework's floor: no database, no
   template) is loaded the same way first and last;
3. requests/s, p50, p99 and errors per read appended to bench/RESULTS-portal.md with the date, machine, load
   average and command.

The load generator is hand-written here (asyncio streams, HTTP/1.1 keep-alive, gzip accepted like a browser):
no wrk/ab/hey on this machine, and httpx's per-request overhead in Python was larger than the server's on a
cached page. See docs/adr/0011-portal-cache-and-load-generator.md. The client shares the machine's cores with
the server, as wrk did in the issue's figures; the targets are relative to /healthz in the same run.

Run: .venv/bin/python bench/bench_portal.py [--workers 1 2] [--connections 16] [--requests 2000] [--seconds 5]
     [--var-dir DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from biplomacy.web.page_cache import PUBLIC_ROUTES

RESULTS = Path(__file__).with_name("RESULTS-portal.md")
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
REPEAT_VISITS = ("/", "/energy")
WHILE_WRITING = ("/supervision/register", "/energy")
WRITE_EVERY_S = 0.5


@contextmanager
def writing(var_dir: Path) -> Iterator[list[int]]:
    """A thread making one audited write (a new auditor account) every WRITE_EVERY_S while the block runs."""
    from biplomacy.core.config import load_settings
    from biplomacy.store.db import open_store

    store = open_store(load_settings({"BIPLOMACY_VAR_DIR": str(var_dir)}))
    try:
        with writing_to(store, WRITE_EVERY_S) as count:
            yield count
    finally:
        store.dispose()


@contextmanager
def writing_to(store: Any, every: float) -> Iterator[list[int]]:
    """A thread adding an auditor account (one audited write) to `store` every `every` seconds; the count so far."""
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.house import users

    stop, count = threading.Event(), [0]

    def write() -> None:
        while not stop.wait(every):
            users.add_user(store, LOCAL_ADMIN, f"bench-writer-{time.time_ns()}", "auditor")
            count[0] += 1

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def concrete_paths(base: str) -> tuple[list[str], list[str]]:
    """PUBLIC_ROUTES with the demo's ids filled in; and the routes left out (no such record in the demo)."""
    plans = json.loads(get(base, "/api/v1/energy/plans")[2])
    register = json.loads(get(base, "/api/v1/supervision/register")[2])
    entities = register.get("entities", []) if isinstance(register, dict) else []
    whatifs = json.loads(get(base, "/api/v1/peers/whatifs")[2])
    latest = get(base, "/api/v1/reserve/statements/latest")
    fill: dict[str, str | None] = {
        "{plan_id}": str(plans[-1]["id"]) if plans else None,
        "{reference}": str(entities[0].get("reference")) if entities else None,
        "{ident}": str(whatifs[0].get("id")) if whatifs else None,
        "{statement_id}": str(json.loads(latest[2]).get("id")) if latest[0] == 200 else None,
    }
    paths, skipped = [], []
    for route in sorted(PUBLIC_ROUTES):
        path = route
        for marker, value in fill.items():
            if marker in path:
                path = path.replace(marker, value) if value is not None else ""
        if route == "/energy/compare":
            path = f"/energy/compare?a={plans[0]['id']}&b={plans[-1]['id']}" if plans else ""
        if route == "/api/v1/reserve/statements/latest" and latest[0] != 200:
            path = ""
        (paths.append(path) if path else skipped.append(route))
    return paths, skipped


async def one_connection(path: str, port: int, deadline: float, budget: list[int], latencies: list[float],
                         errors: list[str], etag: str | None) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    revalidate = f"If-None-Match: {etag}\r\n" if etag else ""
    expected = 304 if etag else 200
    request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Encoding: gzip\r\n{revalidate}"
               "User-Agent: bench_portal\r\n\r\n").encode()
    try:
        while budget[0] > 0 and time.monotonic() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lowered = head.lower()
            match = re.search(rb"content-length:\s*(\d+)", lowered)
            if match:
                await reader.readexactly(int(match.group(1)))
            elif b"transfer-encoding: chunked" in lowered:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            latencies.append(time.perf_counter() - started)
            if status != expected:
                errors.append(str(status))
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        errors.append(type(exc).__name__)
    finally:
        writer.close()


async def load(path: str, port: int, connections: int, requests: int, seconds: float,
               etag: str | None = None) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    budget = [requests]
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(one_connection(path, port, deadline, budget, latencies, errors, etag)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50": ordered[len(ordered) // 2] * 1000, "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
            "errors": len(errors)}


def warm(base: str, path: str) -> tuple[str, str]:
    """First visit (its status and time; a risk run is then waited for); whether a repeat visit with the ETag
    is answered 304."""
    started = time.perf_counter()
    status, headers, body = get(base, path)
    first = f"{status}, {(time.perf_counter() - started) * 1000:,.0f} ms"
    if status == 202 or b'data-job-poll="' in body:
        first += " (a job started: progress)"
    deadline = time.monotonic() + 180
    while (status == 202 or b'data-job-poll="' in body) and time.monotonic() < deadline:
        time.sleep(0.5)
        status, headers, body = get(base, path)
    etag = headers.get("etag")
    if status != 200 or not etag:
        return first, "no ETag"
    repeat = get(base, path, {"If-None-Match": etag})[0]
    return first, "304" if repeat == 304 else f"{repeat} (not 304)"


def serve(var_dir: Path, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BIPLOMACY_VAR_DIR": str(var_dir)}
    process = subprocess.Popen(
        [str(VENV_BIN / "uvicorn"), "biplomacy.web.app:app_from_environment", "--factory", "--host", HOST,
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(f"http://{HOST}:{port}", "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the portal did not start: {process.stderr.read().decode() if process.stderr else ''}")


def run_workers(var_dir: Path, workers: int, args: argparse.Namespace) -> list[str]:
    port = free_port()
    process = serve(var_dir, workers, port)
    base = f"http://{HOST}:{port}"
    try:
        paths, skipped = concrete_paths(base)
        checks = {p: warm(base, p) for p in paths}
        if workers > 1:  # every worker renders its own first view; warm them all before timing
            for p in paths:
                for _ in range(workers * 3):
                    get(base, p)
        rows = []
        floor = asyncio.run(load("/healthz", port, args.connections, args.requests, args.seconds))
        rows.append(("/healthz (start)", floor, ("200", "-")))
        for p in paths:
            rows.append((p, asyncio.run(load(p, port, args.connections, args.requests, args.seconds)), checks[p]))
        for p in REPEAT_VISITS:  # every request a repeat visit: If-None-Match with the page's ETag, 304 expected
            etag = get(base, p)[1].get("etag", "")
            rows.append((f"{p} (repeat visits)", asyncio.run(load(p, port, args.connections, args.requests,
                                                                  args.seconds, etag)), ("304", "304")))
        with writing(var_dir) as writes:  # the cost of invalidation: every write makes each page render again
            for p in WHILE_WRITING:  # for --seconds whatever the count, so that writes happen during it
                before = writes[0]
                result = asyncio.run(load(p, port, args.connections, 100_000, args.seconds))
                rows.append((f"{p} (an audited write every {WRITE_EVERY_S:g} s: {writes[0] - before} writes)",
                             result, ("200", "-")))
        floor_end = asyncio.run(load("/healthz", port, args.connections, args.requests, args.seconds))
        rows.append(("/healthz (end)", floor_end, ("200", "-")))
    finally:
        process.terminate()
        process.wait(timeout=30)
    rps_floor = (floor["rps"] + floor_end["rps"]) / 2
    p99_floor = (floor["p99"] + floor_end["p99"]) / 2
    out = [f"\n#### {workers} worker{'s' if workers > 1 else ''}: /healthz {rps_floor:,.0f} requests/s, "
           f"p99 {p99_floor:.1f} ms (mean of start and end); targets >= {rps_floor / 2:,.0f} requests/s, "
           f"p99 <= {2 * p99_floor:.1f} ms\n",
           "| read | requests | requests/s | p50 ms | p99 ms | errors | first visit | repeat | target |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for path, r, (first, repeat) in rows:
        ok = r["rps"] >= rps_floor / 2 and r["p99"] <= 2 * p99_floor and r["errors"] == 0
        verdict = "-" if path.startswith("/healthz") else ("met" if ok else "MISSED")
        out.append(f"| `{path}` | {r['requests']:,} | {r['rps']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                   f"{r['errors']} | {first} | {repeat} | {verdict} |")
    if skipped:
        out.append(f"\nNot loaded (no such record in the demo): {', '.join(f'`{s}`' for s in skipped)}")
    print("\n".join(out), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000, help="most requests per read")
    parser.add_argument("--seconds", type=float, default=5.0, help="most seconds per read")
    parser.add_argument("--var-dir", type=Path, help="a folder with a demo database (default: a fresh demo)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS")
    args = parser.parse_args()
    if not (1 <= args.connections <= 256 and 1 <= args.requests <= 100_000 and 0 < args.seconds <= 60
            and all(1 <= w <= 8 for w in args.workers)):
        raise SystemExit("bounds: 1-256 connections, 1-100,000 requests, 0-60 s a read, 1-8 workers")
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        var_dir = args.var_dir or Path(tmp) / "var"
        if args.var_dir is None:
            subprocess.run([str(VENV_BIN / "biplomacy"), "demo", "run"], env={**os.environ,
                           "BIPLOMACY_VAR_DIR": str(var_dir)}, check=True, stdout=subprocess.DEVNULL)
        sections = [line for w in args.workers for line in run_workers(var_dir, w, args)]
    load_end = os.getloadavg()
    command = "bench/bench_portal.py " + " ".join(sys.argv[1:])
    header = [f"\n### Portal under load, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
              f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}, SQLite (demo database)",
              f"Command: `.venv/bin/python {command.strip()}`; {args.connections} connections, at most "
              f"{args.requests} requests or {args.seconds:g} s per read, client and server on the same cores; "
              f"load average {' '.join(f'{x:.2f}' for x in load_start)} at start, "
              f"{' '.join(f'{x:.2f}' for x in load_end)} at end"]
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text("# Portal under load: every public read beside /healthz (bench/bench_portal.py)\n")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n".join(header + sections) + "\n")
        print(f"appended to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
