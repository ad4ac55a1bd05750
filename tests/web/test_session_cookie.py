"""The signed session cookie: it names who logged in, and any change to it makes it worthless."""

from __future__ import annotations

from biplomacy.core.config import Settings
from biplomacy.core.permissions import Actor
from biplomacy.web.auth import SESSION_SECONDS, issue_session, read_session

KEY = Settings(secret_key="a-long-random-secret")
NOW = 1_800_000_000.0


def test_a_session_names_the_user_who_logged_in() -> None:
    cookie = issue_session(KEY, Actor("amina", "analyst"), now=NOW)
    assert read_session(KEY, cookie, now=NOW + 60) == Actor("amina", "analyst")


def test_a_session_cannot_be_promoted_by_editing_the_role() -> None:
    cookie = issue_session(KEY, Actor("amina", "analyst"), now=NOW)
    forged = issue_session(KEY, Actor("amina", "admin"), now=NOW).split(".")[0] + "." + cookie.split(".")[1]
    assert read_session(KEY, forged, now=NOW) is None


def test_a_session_signed_with_another_key_is_refused() -> None:
    cookie = issue_session(Settings(secret_key="someone-else"), Actor("amina", "admin"), now=NOW)
    assert read_session(KEY, cookie, now=NOW) is None


def test_a_session_expires() -> None:
    cookie = issue_session(KEY, Actor("amina", "analyst"), now=NOW)
    assert read_session(KEY, cookie, now=NOW + SESSION_SECONDS + 1) is None


def test_garbage_cookies_are_anonymous_not_errors() -> None:
    for junk in ("", ".", "abc", "abc.def", "!!!.???", "e30.xyz", "a" * 5000):
        assert read_session(KEY, junk, now=NOW) is None
