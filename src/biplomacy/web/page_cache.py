"""HTTP caching of the public portal: pages and API reads answered from what was rendered at this audit head.

Every change a public page can show is audited in the transaction that makes it (house/audit.py), so while the
audit log's head (seq, hash) stays, so does every public page. The cache key is therefore (path, query, head,
UTC date, version): the date because some pages say what holds "today" (a licence's status), the version so an
upgrade never serves an older render. The head is read from the database on every request (one indexed row on a
kept connection, tens of microseconds), which is what makes the cache correct across several worker processes:
a write in one worker moves the head that every other worker reads next, so no process ever serves a page of
an older state, and none needs telling.

What it does, for a GET or HEAD of a route in PUBLIC_ROUTES by a visitor with neither a session cookie nor an
Authorization header (signed-in pages show who is looking and are never cached):
- ETag (weak: the key's digest) and Last-Modified (the head's time); If-None-Match or If-Modified-Since that
  still hold are answered 304 before anything is rendered;
- the first render of a key is kept (status 200 only, and never one the handler marked `Cache-Control:
  no-store`, e.g. a risk page still waiting for its job), with its gzip form, in a per-process LRU bounded in
  bytes; concurrent first visitors of one key wait for one render;
- `Cache-Control: public, no-cache` so browsers and proxies keep the page and revalidate it each time.
Static assets get a long max-age (their URLs carry the version, rendering.static). Everything else passes
through untouched (Starlette's GZipMiddleware, installed inside this one, compresses it).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from biplomacy import __version__
from biplomacy.core.errors import StoreError

# The public reads, as route paths (a pillar adding a public page or read adds it here; the benchmark and
# tests/web/test_page_cache.py walk this list). Only pages whose content follows from the database (audited),
# the shipped data and the date belong here.
PUBLIC_ROUTES: frozenset[str] = frozenset({
    "/", "/sources", "/api/v1/sources", "/api/v1/audit/head",
    "/energy", "/energy/plans/{plan_id}", "/energy/compare", "/api/v1/energy/plans",
    "/api/v1/energy/plans/{plan_id}/allocation.csv", "/energy/risk", "/api/v1/energy/risk",
    "/reserve", "/api/v1/reserve/holdings", "/api/v1/reserve/wallets", "/api/v1/reserve/statements/latest",
    "/api/v1/reserve/statements/{statement_id}",
    "/supervision", "/supervision/register", "/supervision/register/{reference}", "/api/v1/supervision/register",
    "/api/v1/supervision/register.csv",
    "/peers", "/api/v1/peers", "/peers/bundles", "/api/v1/peers/bundles", "/api/v1/peers/keys",
    "/api/v1/peers/adoptions", "/peers/whatifs", "/peers/whatifs/{ident}", "/api/v1/peers/whatifs",
    "/api/v1/peers/whatifs/{ident}",
})

_PUBLIC_REGEXES = tuple(compile_path(p)[0] for p in sorted(PUBLIC_ROUTES))

STATIC_CACHE_CONTROL = b"public, max-age=31536000, immutable"  # versioned URLs: a new release is a new URL
STATIC_UNVERSIONED = b"public, max-age=3600"
PAGE_CACHE_CONTROL = b"public, no-cache"  # keep it, but ask each time (a 304 costs one indexed read)
VARY = b"Accept-Encoding, Cookie, Authorization"
MAX_BYTES = 64 * 1024 * 1024  # per process; the whole demo portal renders to about 2 MB
GZIP_MIN = 500

Head = tuple[int, str, datetime] | None


@dataclass(frozen=True, slots=True)
class Rendered:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # without content-length and content-encoding
    body: bytes
    gzipped: bytes | None  # None when compressing would not pay (small or already compressed)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 64 * len(self.headers)


class RenderCache:
    """An LRU of rendered responses bounded in bytes; asyncio only (one event loop per process)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Rendered] = OrderedDict()
        self._bytes = 0
        self._building: dict[str, asyncio.Lock] = {}
        self.hits = self.misses = 0

    def get(self, key: str) -> Rendered | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Rendered) -> None:
        if entry.size > self.max_bytes // 4:
            return
        old = self._entries.pop(key, None)
        self._bytes += entry.size - (old.size if old else 0)
        self._entries[key] = entry
        while self._bytes > self.max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size

    def lock(self, key: str) -> asyncio.Lock:
        return self._building.setdefault(key, asyncio.Lock())

    def release(self, key: str) -> None:
        lock = self._building.get(key)
        if lock is not None and not lock.locked():
            del self._building[key]

    def __len__(self) -> int:
        return len(self._entries)


class PageCache:
    """The ASGI middleware (see the module's docstring); `head` reads the audit head."""

    def __init__(self, app: ASGIApp, head: Callable[[], Head], cache: RenderCache | None = None,
                 cookie_name: str = "biplomacy_session") -> None:
        self.app = app
        self.head = head
        self.cache = cache if cache is not None else RenderCache()
        self.cookie = cookie_name.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/static/"):
            await self.app(scope, receive, _with_static_headers(send, bool(scope.get("query_string"))))
            return
        if scope["method"] not in ("GET", "HEAD") or self._personal(scope) or not self._public(scope):
            await self.app(scope, receive, send)
            return
        try:
            head = self.head()
        except StoreError:  # the database is down: the handler answers (and says so) as without a cache
            await self.app(scope, receive, send)
            return
        await self._answer(scope, receive, send, head)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, head: Head) -> None:
        request_headers = dict(scope["headers"])
        key = _key(scope, head)
        etag = b'W/"' + key.encode() + b'"'
        modified = _last_modified(head)
        validators = [(b"etag", etag), (b"cache-control", PAGE_CACHE_CONTROL), (b"vary", VARY)]
        if modified is not None:
            validators.append((b"last-modified", format_datetime(modified.astimezone(UTC), usegmt=True).encode()))
        if _not_modified(request_headers, etag, modified):
            await send({"type": "http.response.start", "status": 304, "headers": validators})
            await send({"type": "http.response.body", "body": b""})
            return
        entry = self.cache.get(key)
        if entry is not None:
            self.cache.hits += 1
            await _send(send, scope, request_headers, entry, validators)
            return
        try:
            async with self.cache.lock(key):  # one render per key; the others wait for it
                entry = self.cache.get(key)
                if entry is None:
                    self.cache.misses += 1
                    entry = await _render(self.app, scope, receive)
                    if _storable(entry):
                        self.cache.put(key, entry)
        finally:
            self.cache.release(key)
        await _send(send, scope, request_headers, entry, validators if _storable(entry) else [])

    def _personal(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and self.cookie in value):
                return True
        return False

    def _public(self, scope: Scope) -> bool:
        path = scope["path"]
        return any(regex.match(path) for regex in _PUBLIC_REGEXES)


def _key(scope: Scope, head: Head) -> str:
    marker = "empty" if head is None else f"{head[0]}:{head[1]}"
    raw = "|".join((scope["path"], scope.get("query_string", b"").decode("latin-1"), marker,
                    datetime.now(UTC).date().isoformat(), __version__))
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _last_modified(head: Head) -> datetime | None:
    """The head's time, or today's midnight (UTC) when later: a page that says what holds today changes then."""
    if head is None:
        return None
    at = head[2] if head[2].tzinfo is not None else head[2].replace(tzinfo=UTC)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(at.astimezone(UTC), midnight)


def _not_modified(headers: dict[bytes, bytes], etag: bytes, modified: datetime | None) -> bool:
    match = headers.get(b"if-none-match")
    if match is not None:  # it takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = [t.strip() for t in match.split(b",")]
        return b"*" in tags or any(t.removeprefix(b"W/") == etag.removeprefix(b"W/") for t in tags)
    since = headers.get(b"if-modified-since")
    if since is None or modified is None:
        return False
    try:
        when = parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= when


async def _render(app: ASGIApp, scope: Scope, receive: Receive) -> Rendered:
    """Run the app for this request without Accept-Encoding (the cache compresses) and collect its answer."""
    inner = dict(scope)
    inner["method"] = "GET"  # a HEAD is rendered as the GET it stands for; _send drops the body
    inner["headers"] = [(k, v) for k, v in scope["headers"] if k not in (b"accept-encoding", b"if-none-match",
                                                                             b"if-modified-since")]
    status, headers, chunks = 500, [], []

    async def collect(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(inner, receive, collect)
    body = b"".join(chunks)
    kept = tuple((k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-encoding"))
    encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
    gzipped = gzip.compress(body, compresslevel=6) if len(body) >= GZIP_MIN and not encoded else None
    if encoded:  # an already encoded body is passed on as it is
        kept = tuple(headers)
    return Rendered(status, kept, body, gzipped)


def _storable(entry: Rendered) -> bool:
    if entry.status != 200:
        return False
    for name, value in entry.headers:
        if name.lower() == b"cache-control" and b"no-store" in value.lower():
            return False
    return True


async def _send(send: Send, scope: Scope, request_headers: dict[bytes, bytes], entry: Rendered,
                validators: list[tuple[bytes, bytes]]) -> None:
    use_gzip = entry.gzipped is not None and b"gzip" in request_headers.get(b"accept-encoding", b"")
    body = entry.gzipped if use_gzip and entry.gzipped is not None else entry.body
    names = {k for k, _ in validators}
    headers = [(k, v) for k, v in entry.headers if k.lower() not in names]
    headers += validators
    if use_gzip:
        headers.append((b"content-encoding", b"gzip"))
    if not any(k.lower() == b"vary" for k, _ in headers):
        headers.append((b"vary", b"Accept-Encoding"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _with_static_headers(send: Send, versioned: bool) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] in (200, 304):
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
            headers.append((b"cache-control", STATIC_CACHE_CONTROL if versioned else STATIC_UNVERSIONED))
            message = {**message, "headers": headers}
        await send(message)
    return wrapped
