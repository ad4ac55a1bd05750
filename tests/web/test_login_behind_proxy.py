"""The login throttle behind a reverse proxy: X-Forwarded-For counts only when the direct peer is one of
BIPLOMACY_TRUSTED_PROXIES (then the right-most address no trusted proxy wrote is the client); by default none."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from biplomacy.core.config import Settings, load_settings
from biplomacy.core.errors import ConfigError
from biplomacy.web.app import create_app

PROXY = "10.0.0.5"


@contextmanager
def portal(settings: Settings, peer: str, trusted: tuple[str, ...] = ()) -> Iterator[TestClient]:
    """The portal as a connection from `peer` sees it."""
    with TestClient(create_app(replace(settings, trusted_proxies=trusted)), client=(peer, 40000)) as client:
        yield client


def _fail(client: TestClient, forwarded_for: str | None, name: str = "sana") -> int:
    headers = {} if forwarded_for is None else {"x-forwarded-for": forwarded_for}
    return client.post("/login", data={"name": name, "password": "wrong guess"}, headers=headers,
                       follow_redirects=False).status_code


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(settings: Settings) -> None:
    with portal(settings, "203.0.113.9", trusted=("10.0.0.0/8",)) as client:
        assert [_fail(client, f"198.51.100.{i}") for i in range(5)] == [401] * 5
        refused = client.post("/login", data={"name": "sana", "password": "x"}, follow_redirects=False,
                              headers={"x-forwarded-for": "198.51.100.77"})
        assert refused.status_code == 429 and "Too many failed logins" in refused.text


def test_by_default_no_proxy_is_trusted_not_even_loopback(settings: Settings) -> None:
    with portal(settings, "127.0.0.1") as client:
        assert [_fail(client, f"198.51.100.{i}") for i in range(6)] == [401] * 5 + [429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(settings: Settings) -> None:
    with portal(settings, PROXY, trusted=(PROXY, "10.1.0.0/16")) as client:
        assert [_fail(client, "198.51.100.1") for _ in range(6)] == [401] * 5 + [429]
        assert _fail(client, "198.51.100.2") == 401  # another user behind the same proxy may still try
        # The locked client writes its own X-Forwarded-For; the proxy appends the address it saw:
        assert _fail(client, "198.51.100.2, 198.51.100.1") == 429
        # Through a second trusted proxy (10.1.2.3), the right-most untrusted address is still the client:
        assert _fail(client, "198.51.100.1, 10.1.2.3") == 429
        assert _fail(client, None) == 401  # no header: the proxy itself is the client, with a count of its own


def test_a_bad_trusted_proxies_setting_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"BIPLOMACY_TRUSTED_PROXIES: trusted_proxies: 'proxy\.internal' is not "
                                          r"an IP address or network"):
        load_settings({"BIPLOMACY_TRUSTED_PROXIES": "10.0.0.5, proxy.internal"})
    with pytest.raises(ConfigError, match="'10.0.0.5/8' is not an IP address or network .*host bits set"):
        load_settings({"BIPLOMACY_TRUSTED_PROXIES": "10.0.0.5/8"})
    toml = tmp_path / "biplomacy.toml"
    toml.write_text("trusted_proxies = 10\n")
    with pytest.raises(ConfigError, match="biplomacy.toml: trusted_proxies should be a list of IP addresses"):
        load_settings({}, toml)
    toml.write_text('trusted_proxies = ["10.0.0.5", "2001:db8::/32"]\n')
    assert load_settings({}, toml).trusted_proxies == ("10.0.0.5/32", "2001:db8::/32")
    assert load_settings({}).trusted_proxies == ()
