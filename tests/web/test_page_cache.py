"""HTTP caching of public pages (web/page_cache.py): 304 for a repeat visitor, never stale after a write (also
seen from a second worker on the same database), gzip, nothing personal kept, static assets cached for long,
and the per-client limit on computations (web/jobs.py)."""

from __future__ import annotations

import gzip
import time

from fastapi.testclient import TestClient

from biplomacy.core.config import Settings
from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.web.app import create_app
from biplomacy.web.page_cache import PUBLIC_ROUTES


def test_every_public_route_is_a_get_route_of_the_portal(app_client: TestClient) -> None:
    routes = {(path, method.upper()) for path, item in app_client.app.openapi()["paths"].items() for method in item}
    missing = sorted(p for p in PUBLIC_ROUTES if (p, "GET") not in routes)
    assert missing == []


def test_a_repeat_visitor_gets_304_until_something_is_written(app_client: TestClient) -> None:
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "first-entry", "auditor")  # Last-Modified: its time
    first = app_client.get("/supervision/register")
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = app_client.get("/supervision/register", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = app_client.get("/supervision/register", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    assert app_client.get("/supervision/register", headers={"If-None-Match": 'W/"other"'}).status_code == 200

    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "cache-probe", "auditor")  # audited: the head moves
    after = app_client.get("/supervision/register", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.text != first.text  # the footer shows the new audit head


def test_a_write_through_one_worker_is_seen_by_another_at_once(settings: Settings) -> None:
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        before_one, before_two = one.get("/api/v1/audit/head").json(), two.get("/api/v1/audit/head").json()
        assert before_one == before_two
        users.add_user(one.app.state.store, LOCAL_ADMIN, "worker-probe", "auditor")
        after_two = two.get("/api/v1/audit/head")  # the other process's cache keys on the database's head
        assert after_two.status_code == 200 and after_two.json() != before_two
        assert one.get("/api/v1/audit/head").json() == after_two.json()


def test_public_reads_are_rendered_once_per_head(app_client: TestClient) -> None:
    cache = app_client.app.state.page_cache
    app_client.get("/sources")
    misses, hits = cache.misses, cache.hits
    for _ in range(3):
        assert app_client.get("/sources").status_code == 200
    assert (cache.misses, cache.hits) == (misses, hits + 3)


def test_pages_are_gzipped_for_clients_that_accept_it(app_client: TestClient) -> None:
    plain = app_client.get("/sources", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw = app_client.get("/sources", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip" and "Accept-Encoding" in raw.headers["vary"]
    assert raw.text == plain.text  # httpx decodes it; the stored gzip is the same page
    assert len(gzip.compress(plain.content)) < len(plain.content)
    head = app_client.head("/sources")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]


def test_nothing_personal_is_cached_or_served_from_the_cache(app_client: TestClient) -> None:
    store = app_client.app.state.store
    users.add_user(store, LOCAL_ADMIN, "ada", "supervisor")
    _, token = users.issue_token(store, LOCAL_ADMIN, "ada")
    public = app_client.get("/")
    signed_in = app_client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert signed_in.status_code == 200 and "ada" in signed_in.text and "ada" not in public.text
    assert "etag" not in signed_in.headers and signed_in.headers.get("cache-control") != "public, no-cache"
    assert "etag" in public.headers
    assert "ada" not in app_client.get("/").text  # the signed-in render was not kept for the public


def test_errors_are_not_kept(app_client: TestClient) -> None:
    for _ in range(2):
        r = app_client.get("/energy/plans/999")
        assert r.status_code == 404 and "etag" not in r.headers


def test_static_assets_are_cached_for_long_when_versioned(app_client: TestClient) -> None:
    versioned = app_client.get("/static/js/charts.js?v=1")
    assert versioned.status_code == 200 and "immutable" in versioned.headers["cache-control"]
    plain = app_client.get("/static/js/charts.js")
    assert plain.headers["cache-control"] == "public, max-age=3600"
    again = app_client.get("/static/js/charts.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


def test_a_client_may_have_two_computations_under_way_and_gets_429_past_that(app_client: TestClient) -> None:
    started = []
    for seed in (101, 102):
        r = app_client.get("/api/v1/energy/risk", params={"paths": 2000, "years": 5, "seed": seed})
        assert r.status_code == 202, r.text
        started.append(r.json()["job"]["poll"])
    refused = app_client.get("/api/v1/energy/risk", params={"paths": 2000, "years": 5, "seed": 103})
    if all(app_client.get(p).json()["status"] != "done" for p in started):  # else one finished meanwhile
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "under way" in refused.json()["detail"]
    again = app_client.get("/api/v1/energy/risk", params={"paths": 2000, "years": 5, "seed": 101})
    assert again.status_code in (200, 202)  # asking again for a run under way is not a new computation
    deadline = time.monotonic() + 180
    while any(app_client.get(p).json()["status"] not in ("done", "failed") for p in started):
        assert time.monotonic() < deadline
        time.sleep(0.2)
