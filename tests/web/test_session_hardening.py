"""Portal sessions follow the users table at once (disabled, removed, role changed), and failed logins are
throttled per user name and client address (429 with Retry-After); the public pays no database work for it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.house import login_throttle, users
from biplomacy.house.login_throttle import LoginThrottle
from biplomacy.store.db import Store
from biplomacy.web.auth import COOKIE_NAME, issue_session

PASSWORD = "correct horse battery staple"


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    return client.post("/login", data={"name": name, "password": password}, follow_redirects=False).status_code


def _me(client: TestClient) -> dict[str, object]:
    return client.get("/api/v1/me").json()  # type: ignore[no-any-return]


def test_a_disabled_user_loses_the_session_at_once_and_re_enabling_does_not_revive_it(
        app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    assert _log_in(app_client, "sana") == 303
    old_cookie = app_client.cookies.get(COOKIE_NAME)
    assert _me(app_client) == {"name": "sana", "role": "supervisor", "signed_in": True}
    assert app_client.get("/supervision/dashboard").status_code == 200

    users.set_active(store, LOCAL_ADMIN, "sana", False)
    assert _me(app_client)["signed_in"] is False
    assert app_client.get("/supervision/dashboard").status_code in {401, 403}

    users.set_active(store, LOCAL_ADMIN, "sana", True)
    assert _me(app_client)["signed_in"] is False  # the session issued before the change stays dead
    assert _log_in(app_client, "sana") == 303  # a fresh login works again
    assert _me(app_client)["signed_in"] is True and app_client.cookies.get(COOKIE_NAME) != old_cookie


def test_a_role_change_ends_the_session_issued_under_the_old_role(app_client: TestClient) -> None:
    store = app_client.app.state.store  # type: ignore[attr-defined]
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    assert _log_in(app_client, "sana") == 303
    users.set_role(store, LOCAL_ADMIN, "sana", "analyst")
    assert _me(app_client) == {"name": "anonymous", "role": "public", "signed_in": False}
    assert app_client.get("/supervision/dashboard").status_code in {401, 403}
    assert _log_in(app_client, "sana") == 303
    assert _me(app_client) == {"name": "sana", "role": "analyst", "signed_in": True}


def test_a_validly_signed_cookie_for_a_user_who_does_not_exist_or_claims_another_role_is_anonymous(
        app_client: TestClient) -> None:
    settings = app_client.app.state.settings  # type: ignore[attr-defined]
    app_client.cookies.set(COOKIE_NAME, issue_session(settings, Actor("ghost", "admin")))
    assert _me(app_client)["signed_in"] is False
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "amina", "analyst")  # type: ignore[attr-defined]
    app_client.cookies.set(COOKIE_NAME, issue_session(settings, Actor("amina", "admin")))
    assert _me(app_client)["signed_in"] is False
    app_client.cookies.set(COOKIE_NAME, issue_session(settings, Actor("amina", "analyst")))
    assert _me(app_client) == {"name": "amina", "role": "analyst", "signed_in": True}


def test_anonymous_requests_never_read_the_users_table(app_client: TestClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the users table was read for an anonymous request")

    monkeypatch.setattr(users, "session_state", refuse)
    for path in ("/healthz", "/reserve", "/", "/api/v1/me"):
        assert app_client.get(path).status_code == 200, path
    app_client.cookies.set(COOKIE_NAME, "forged.cookie")
    assert app_client.get("/reserve").status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttled(client: TestClient, **kw: object) -> Clock:
    clock = Clock()
    store = client.app.state.store  # type: ignore[attr-defined]
    client.app.state.login_throttle = LoginThrottle(store, clock=clock, **kw)  # type: ignore[attr-defined, arg-type]
    return clock


def test_five_failed_logins_lock_that_name_from_that_address_with_retry_after(app_client: TestClient) -> None:
    clock = _throttled(app_client)
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)  # type: ignore[attr-defined]
    for i in range(5):
        clock.now += 10
        assert _log_in(app_client, "sana", f"guess {i}") == 401
    clock.now += 10
    refused = app_client.post("/login", data={"name": "sana", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 429  # even the right password, while locked
    assert refused.headers["retry-after"] == "250"  # the first failure (t=1010) leaves the window at t=1310
    assert "Too many failed logins" in refused.text and "250 s" in refused.text
    assert _me(app_client)["signed_in"] is False
    assert _log_in(app_client, "SANA ", "guess") == 429  # the same name in another case or with spaces
    assert _log_in(app_client, "other", "guess") == 401  # another name from the same address may still try
    assert app_client.get("/healthz").status_code == 200 and app_client.get("/reserve").status_code == 200

    clock.now = 1010 + login_throttle.WINDOW_SECONDS  # the oldest failure leaves the window
    assert _log_in(app_client, "sana") == 303
    assert _me(app_client)["signed_in"] is True


def test_a_success_clears_the_names_failures(app_client: TestClient) -> None:
    _throttled(app_client)
    users.add_user(app_client.app.state.store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)  # type: ignore[attr-defined]
    for _ in range(4):
        assert _log_in(app_client, "sana", "typo") == 401
    assert _log_in(app_client, "sana") == 303
    for _ in range(4):
        assert _log_in(app_client, "sana", "typo") == 401
    assert _log_in(app_client, "sana") == 303


def test_one_address_guessing_many_names_is_throttled_too(app_client: TestClient) -> None:
    _throttled(app_client, per_address=8)
    for i in range(8):
        assert _log_in(app_client, f"user{i}", "guess") == 401
    assert _log_in(app_client, "user99", "guess") == 429


def test_the_throttle_keys_by_address_and_forgets_old_failures(store: Store) -> None:
    clock = Clock()
    t = LoginThrottle(store, max_failures=2, per_address=100, window=60, clock=clock)
    t.failed("sana", "10.0.0.1")
    t.failed("sana", "10.0.0.1")
    assert t.retry_after("sana", "10.0.0.1") == 60
    assert t.retry_after("sana", "10.0.0.2") is None
    clock.now += 59.5
    assert t.retry_after("sana", "10.0.0.1") == 1
    clock.now += 0.5
    assert t.retry_after("sana", "10.0.0.1") is None
