"""Benchmark: the public portal at a fixed request rate (default 500 requests/s) on PostgreSQL, with 1 and 2
worker processes (`biplomacy serve --workers N`), p50/p99 and errors; appended to bench/RESULTS-scale.md.

What it does, on loopback only (127.0.0.1; nothing else is contacted):
1. a demo database in a new PostgreSQL database on the server that --database-url names (created here, kept
   for a rerun with --reuse);
2. for each --workers count: `biplomacy serve --workers N`, every public read (web/page_cache.PUBLIC_ROUTES with
   the demo's ids) visited once, then loaded in turn at --rate requests/s for --seconds: once with nothing
   else going on, once while this process makes an audited write every --write-every seconds (each write moves
   the audit head, so every worker renders each of the ~30 pages afresh);
3. requests sent, p50, p99, the highest latency and errors (a status other than 200, a connection error or no
   answer within 10 s), with the load average before and after.

The load is open-loop: request i is due at start + i/rate whether or not earlier ones were answered, and its
latency counts from when it was due (a request that waits for a free connection, or for the generator itself,
waits on the clock), so a slow server shows as latency instead of a lower rate (no coordinated omission). It
goes over up to --connections keep-alive connections. wrk is not installed here; the generator is asyncio
streams like bench_portal.py's (docs/adr/0011), sharing the machine's cores with the server.

Run (a throw-away PostgreSQL from scripts/pg.sh):
  bash -c 'source scripts/pg.sh && pg_start && trap pg_stop EXIT &&
           .venv/bin/python bench/bench_portal_rate.py --database-url "$BIPLOMACY_TEST_POSTGRES_URL"'
  [--workers 1 2] [--rate 500] [--seconds 15] [--connections 64] [--write-every 1] [--reuse] [--no-record]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench_portal import HOST, concrete_paths, free_port, get, warm, writing_to

RESULTS = Path(__file__).with_name("RESULTS-scale.md")
SECTION = "## Portal, several workers"
VENV_BIN = Path(sys.executable).parent
TIMEOUT_S = 10.0


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
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
    return int(head[9:12])


async def fixed_rate(port: int, paths: list[str], rate: float, seconds: float, connections: int) -> dict[str, float]:
    """Send rate x seconds GETs, request i due at start + i/rate, over a pool of keep-alive connections."""
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(None)  # opened on first use
    latencies: list[float] = []
    errors: dict[str, int] = {}
    requests = [(f"GET {p} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept-Encoding: gzip\r\n"
                 "User-Agent: bench_portal_rate\r\n\r\n").encode() for p in paths]

    async def one(i: int, due: float) -> None:
        conn = await idle.get()
        try:
            if conn is None:
                conn = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT_S)
            reader, writer = conn
            writer.write(requests[i % len(requests)])
            status = await asyncio.wait_for(_answer(reader), TIMEOUT_S)
            latencies.append(loop.time() - due)
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            if conn is not None:
                conn[1].close()
            conn = None  # a fresh connection for the next request on this slot
        finally:
            idle.put_nowait(conn)

    total = int(rate * seconds)
    start = loop.time() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    while not idle.empty():
        conn = idle.get_nowait()
        if conn is not None:
            conn[1].close()
    ordered = sorted(latencies) or [float("nan")]
    return {"sent": total, "answered": len(latencies), "rate": len(latencies) / elapsed,
            "p50": ordered[len(ordered) // 2] * 1000,
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
            "max": ordered[-1] * 1000, "errors": sum(errors.values()),
            "kinds": ", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "-"}


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([str(VENV_BIN / "biplomacy"), "serve", "--port", str(port), "--workers", str(workers)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get(f"http://{HOST}:{port}", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"the portal did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def writing(url: str, every: float) -> Iterator[list[int]]:
    """A thread making one audited write (a new auditor account) every `every` seconds while the block runs."""
    from biplomacy.store.db import Store, make_engine

    store = Store(make_engine(url), url)
    try:
        with writing_to(store, every) as count:
            yield count
    finally:
        store.dispose()


def demo_database(server_url: str, name: str, reuse: bool) -> str:
    """A PostgreSQL database `name` on the server of `server_url` holding the demo (made unless --reuse)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    if not reuse:
        admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        env = {**os.environ, "BIPLOMACY_DATABASE_URL": url}
        subprocess.run([str(VENV_BIN / "biplomacy"), "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(VENV_BIN / "biplomacy"), "demo", "run"], env=env, check=True, stdout=subprocess.DEVNULL)
    return url


def run_workers(env: dict[str, str], url: str, workers: int, args: argparse.Namespace) -> list[str]:
    rows = []
    with serving(env, workers) as port:
        base = f"http://{HOST}:{port}"
        paths, _ = concrete_paths(base)
        for p in paths:
            warm(base, p)
            for _ in range(workers * 3):  # every worker renders its own first view
                get(base, p)
        for label, writes in (("public reads, in turn", False),
                              (f"public reads, an audited write every {args.write_every:g} s", True)):
            load_before = os.getloadavg()[0]
            if writes:
                with writing(url, args.write_every) as count:
                    r = asyncio.run(fixed_rate(port, paths, args.rate, args.seconds, args.connections))
                label += f" ({count[0]} writes)"
            else:
                r = asyncio.run(fixed_rate(port, paths, args.rate, args.seconds, args.connections))
            load_after = os.getloadavg()[0]
            rows.append(f"| {workers} | {label} | {r['sent']:,} | {r['rate']:,.0f} | {r['p50']:.1f} | "
                        f"{r['p99']:.1f} | {r['max']:.0f} | {r['errors']} ({r['kinds']}) | "
                        f"{load_before:.2f} -> {load_after:.2f} |")
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (its database is not used)")
    parser.add_argument("--db-name", default="bench_portal_rate", help="the database made on that server")
    parser.add_argument("--reuse", action="store_true", help="use --db-name as it is (a demo made by a former run)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of load per row")
    parser.add_argument("--connections", type=int, default=64, help="most keep-alive connections")
    parser.add_argument("--write-every", type=float, default=1.0, help="seconds between audited writes")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS")
    args = parser.parse_args()
    if not (args.database_url.startswith("postgresql") and 1 <= args.rate <= 20_000 and 0 < args.seconds <= 120
            and 1 <= args.connections <= 512 and all(1 <= w <= 8 for w in args.workers)
            and 0.05 <= args.write_every <= 60):
        raise SystemExit("bounds: a postgresql URL, 1-20,000 requests/s, 0-120 s, 1-512 connections, 1-8 workers, "
                         "a write every 0.05-60 s")
    url = demo_database(args.database_url, args.db_name, args.reuse)
    env = {**os.environ, "BIPLOMACY_DATABASE_URL": url, "BIPLOMACY_SECRET_KEY": os.urandom(32).hex()}
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    rows = [line for w in args.workers for line in run_workers(env, url, w, args)]
    uptime_end = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    command = "bench/bench_portal_rate.py " + " ".join(a if "://" not in a else "URL" for a in sys.argv[1:])
    out = [f"\n### {args.rate:,.0f} requests/s, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
           f"{os.cpu_count()} CPUs (shared with other work), Python {platform.python_version()}, PostgreSQL "
           "(demo database)",
           f"Command: `.venv/bin/python {command.strip()}` (a throw-away server from scripts/pg.sh); open-loop, "
           f"latency from each request's due time, at most {args.connections} connections, {args.seconds:g} s a "
           f"row, client and server on the same cores. `uptime` before: {uptime}; after: {uptime_end}",
           "", "| workers | load | sent | answered/s | p50 ms | p99 ms | max ms | errors | load average (1 min) |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |", *rows]
    print("\n".join(out))
    if not args.no_record:
        text_ = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Scale-out figures\n"
        if SECTION not in text_:
            text_ += f"\n{SECTION}\n\n(bench/bench_portal_rate.py; newest last)\n"
        start = text_.index(SECTION) + len(SECTION)
        end = text_.find("\n## ", start)  # the end of this section: other sections are other benchmarks'
        end = len(text_) if end < 0 else end
        text_ = text_[:end].rstrip("\n") + "\n" + "\n".join(out) + "\n" + text_[end:]
        RESULTS.write_text(text_, encoding="utf-8")
        print(f"appended to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
