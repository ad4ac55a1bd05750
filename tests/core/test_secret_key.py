"""A session secret key that someone could guess is refused: the default, short keys, patterned keys."""

import secrets

import pytest

from biplomacy.core.secret_key import SHIPPED_DEFAULT, weakness


@pytest.mark.parametrize("key", [SHIPPED_DEFAULT, "x", " ", "secret", "a" * 64, "password" * 8, "ab" * 40,
                                 "test-secret-for-live-server"])
def test_a_guessable_key_is_named_weak(key: str) -> None:
    assert weakness(key) is not None


def test_random_keys_of_the_recommended_recipes_pass() -> None:
    assert all(weakness(secrets.token_urlsafe(32)) is None for _ in range(200))
    assert sum(weakness(secrets.token_hex(32)) is None for _ in range(200)) == 200
