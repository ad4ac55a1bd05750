"""The portal's findings of the hardening probe (#20), each reproduced: logout and password change end the
session on the server, login costs the same for unknown names, the lockout is per user and address, a 100 MB
anonymous body is refused before it is read, the Monte Carlo endpoint is rate-limited, the cookie is Secure
behind TLS, and the auditor reads what officers read."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Coroutine
from typing import Any

import pytest
from fastapi.testclient import TestClient

from biplomacy.core.permissions import LOCAL_ADMIN
from biplomacy.house import users
from biplomacy.house.login_throttle import LoginThrottle
from biplomacy.house.rate_buckets import TokenBuckets
from biplomacy.web.auth import COOKIE_NAME
from biplomacy.web.body_limit import ANONYMOUS_MAX_BYTES, BodyLimit
from tests.sessions import sign_in

PASSWORD = "correct horse battery staple"


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run on a thread of its own: a browser test may have left an event loop running on this one."""
    thread = threading.Thread(target=asyncio.run, args=(coro,))
    thread.start()
    thread.join()


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    return client.post("/login", data={"name": name, "password": password}, follow_redirects=False).status_code


def _me(client: TestClient, cookie: str | None = None) -> dict[str, object]:
    if cookie is not None:
        client.cookies.set(COOKIE_NAME, cookie)
    return client.get("/api/v1/me").json()  # type: ignore[no-any-return]


def test_finding_logout_ends_the_session_on_the_server(app_client: TestClient) -> None:
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)  # type: ignore[attr-defined]
    assert _log_in(app_client, "sana") == 303
    stolen = app_client.cookies.get(COOKIE_NAME)
    assert stolen and _me(app_client)["signed_in"] is True
    assert app_client.post("/logout", follow_redirects=False).status_code == 303
    assert _me(app_client, stolen)["signed_in"] is False  # the copied cookie is dead, not valid for 8 h


def test_finding_a_password_change_ends_open_sessions(app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    assert _log_in(app_client, "sana") == 303
    users.set_password(store, LOCAL_ADMIN, "sana", "a brand new passphrase")
    assert _me(app_client)["signed_in"] is False
    assert _log_in(app_client, "sana") == 401 and _log_in(app_client, "sana", "a brand new passphrase") == 303


def test_finding_login_costs_one_scrypt_for_unknown_and_known_names(app_client: TestClient,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing came from skipping the password hash for unknown names (4 ms vs 46 ms): count the hashes."""
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)  # type: ignore[attr-defined]
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "nopass", "analyst")  # type: ignore[attr-defined]
    users._decoy_hash()  # made once, before counting
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for name in ("sana", "nobody-by-this-name", "nopass"):
        calls.clear()
        assert _log_in(app_client, name, "wrong password") == 401
        assert len(calls) == 1, name


def test_finding_one_name_failing_from_an_address_does_not_lock_out_the_others(app_client: TestClient) -> None:
    """The per-address lockout blocked other users; a name that logged in from the address keeps access."""
    store = app_client.app.state.store  # type: ignore[attr-defined]
    app_client.app.state.login_throttle = LoginThrottle(store, per_address=6)  # type: ignore[attr-defined]
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    users.add_user(store, LOCAL_ADMIN, "omar", "analyst", password=PASSWORD)
    assert _log_in(app_client, "omar") == 303  # omar works from this address (the office's NAT)
    for i in range(6):  # someone at the same address guesses other names
        assert _log_in(app_client, f"guess{i}", "x") == 401
    assert _log_in(app_client, "newname", "x") == 429  # spraying names from the address is capped
    assert _log_in(app_client, "omar") == 303  # but omar is not locked out by it
    for _ in range(5):
        assert _log_in(app_client, "sana", "wrong") in {401, 429}
    assert _log_in(app_client, "sana") == 429  # sana's own failures lock sana from this address
    assert _log_in(app_client, "omar") == 303


def test_finding_a_100_mb_anonymous_body_is_refused_before_it_is_read() -> None:
    received = 0

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError("the app must not be reached")

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal received
        received += 1 << 20
        return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": received < 100 << 20}

    sent: list[dict[str, object]] = []

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    declared = {"type": "http", "method": "POST", "path": "/api/v1/travel-rule/transfers",
                "headers": [(b"content-length", str(100 << 20).encode())]}
    _run(BodyLimit(app)(declared, receive, send))
    assert sent[0]["status"] == 413 and received == 0  # not one byte read

    sent.clear()
    chunked = {"type": "http", "method": "POST", "path": "/login", "headers": [(b"transfer-encoding", b"chunked")]}
    _run(BodyLimit(app)(chunked, receive, send))
    assert sent[0]["status"] == 413 and received <= ANONYMOUS_MAX_BYTES + (1 << 20)


def test_an_oversized_body_gets_413_through_the_portal(app_client: TestClient) -> None:
    r = app_client.post("/api/v1/travel-rule/transfers", content=b"{" + b" " * (ANONYMOUS_MAX_BYTES + 1) + b"}",
                        headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over" in r.json()["detail"]
    assert app_client.post("/login", data={"name": "x", "password": "y"}).status_code == 401  # small ones pass


def test_finding_the_monte_carlo_endpoint_is_rate_limited(app_client: TestClient) -> None:
    # A run is a job (#21): a new run spends a token; asking again for the same run does not.
    store = app_client.app.state.store  # type: ignore[attr-defined]
    app_client.app.state.compute_buckets = TokenBuckets(store, per_minute=1, burst=1)  # type: ignore[attr-defined]
    codes = [app_client.get("/api/v1/energy/risk", params={"paths": 10, "years": 0.1}).status_code for _ in range(3)]
    assert codes[0] == 202 and set(codes[1:]) <= {200, 202}
    limited = app_client.get("/api/v1/energy/risk", params={"paths": 10, "years": 0.1, "seed": 2})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_the_token_buckets_refill_and_cap_the_whole_portal(store) -> None:  # type: ignore[no-untyped-def]
    now = [0.0]
    buckets = TokenBuckets(store, per_minute=60, burst=1, global_per_minute=60, global_burst=2,
                           clock=lambda: now[0])
    assert buckets.take("a") is None and buckets.take("a") == 1
    assert buckets.take("b") is None and buckets.take("c") is not None  # the portal's own budget is spent
    now[0] += 2
    assert buckets.take("a") is None


def test_the_session_cookie_is_secure_when_the_portal_is_published_over_https(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from biplomacy.web.app import create_app

    with TestClient(create_app(replace(settings, public_url="https://portal.example.org"))) as client:
        users.add_user(client.app.state.store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)  # type: ignore[attr-defined]
        r = client.post("/login", data={"name": "sana", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


@pytest.mark.parametrize("path", ["/supervision/dashboard", "/api/v1/supervision/dashboard",
                                  "/api/v1/travel-rule/transfers", "/supervision/aml"])
def test_finding_the_auditor_reads_what_officers_read(app_client: TestClient, path: str) -> None:
    assert app_client.get(path).status_code in {401, 403}
    sign_in(app_client, "imf", "auditor")
    assert app_client.get(path).status_code == 200
