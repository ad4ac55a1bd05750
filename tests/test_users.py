"""Users, passwords and API tokens: stored hashed, checked by role, every change audited."""

import pytest
from sqlalchemy import select

from biplomacy import audit
from biplomacy.adapters.store.tables.core import TokenRow, UserRow
from biplomacy.errors import InputError, NotFound, PermissionDenied
from biplomacy.permissions import LOCAL_ADMIN, Actor
from biplomacy.services import users

PASSWORD = "a long enough password"


def _log(store):
    with store.read() as s:
        return list(audit.entries(s))


def test_password_lets_its_user_in_and_nothing_else_does(store):
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", "PVARA", password=PASSWORD)
    users.add_user(store, LOCAL_ADMIN, "omar", "analyst")  # no password: API tokens only
    assert users.authenticate_password(store, "sana", PASSWORD) == Actor("sana", "supervisor")
    assert users.authenticate_password(store, "sana", PASSWORD + "x") is None
    assert users.authenticate_password(store, "omar", "") is None
    assert users.authenticate_password(store, "nobody", PASSWORD) is None


def test_password_is_stored_salted_never_in_clear(store):
    users.add_user(store, LOCAL_ADMIN, "a1", "auditor", password=PASSWORD)
    users.add_user(store, LOCAL_ADMIN, "a2", "auditor", password=PASSWORD)
    with store.read() as s:
        stored = [r.password_hash for r in s.execute(select(UserRow).order_by(UserRow.name)).scalars()]
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored)
    assert stored[0] != stored[1]  # same password, different salt


def test_damaged_password_hash_lets_no_one_in():
    assert not users.check_password(PASSWORD, "scrypt$16384$8$1$not-hex$00")
    assert not users.check_password(PASSWORD, "md5$abc")


def test_token_resolves_until_revoked_and_only_its_hash_is_kept(store):
    users.add_user(store, LOCAL_ADMIN, "bilal", "signer")
    token_id, token = users.issue_token(store, LOCAL_ADMIN, "bilal", "laptop")
    assert users.actor_for_token(store, token) == Actor("bilal", "signer")
    with store.read() as s:
        kept = s.execute(select(TokenRow.token_hash)).scalar_one()
    assert token not in kept and len(kept) == 64
    users.revoke_token(store, LOCAL_ADMIN, token_id)
    assert users.actor_for_token(store, token) is None
    assert users.actor_for_token(store, "bpl_guessed") is None


def test_every_change_is_audited_in_order(store):
    users.add_user(store, LOCAL_ADMIN, "bilal", "signer")
    token_id, _ = users.issue_token(store, LOCAL_ADMIN, "bilal")
    users.revoke_token(store, LOCAL_ADMIN, token_id)
    log = _log(store)
    assert [(e.action, e.subject, e.actor) for e in log] == [
        ("users.add", "user/bilal", "local-admin"),
        ("users.token.issue", "user/bilal", "local-admin"),
        ("users.token.revoke", f"token/{token_id}", "local-admin"),
    ]
    assert audit.verify(log).ok


@pytest.mark.parametrize("role", ["public", "analyst", "supervisor", "signer", "auditor"])
def test_only_admins_manage_users(store, role):
    users.add_user(store, LOCAL_ADMIN, "someone", role)
    with pytest.raises(PermissionDenied, match="users.manage"):
        users.add_user(store, Actor("someone", role), "other", "admin")
    with pytest.raises(PermissionDenied):
        users.issue_token(store, Actor("someone", role), "someone")
    with pytest.raises(PermissionDenied):
        users.list_users(store, Actor("someone", role))
    assert [u.name for u in users.list_users(store, LOCAL_ADMIN)] == ["someone"]
    assert len(_log(store)) == 1


@pytest.mark.parametrize(
    ("name", "role", "password", "field"),
    [("bad name", "admin", None, "name"), ("ok", "king", None, "role"), ("ok", "admin", "short", "password")],
)
def test_bad_user_is_refused_naming_the_field_and_nothing_is_stored(store, name, role, password, field):
    with pytest.raises(InputError, match=field):
        users.add_user(store, LOCAL_ADMIN, name, role, password=password)
    assert users.list_users(store, LOCAL_ADMIN) == [] and _log(store) == []


def test_duplicate_name_and_unknown_user_are_refused(store):
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor")
    with pytest.raises(InputError, match="already exists"):
        users.add_user(store, LOCAL_ADMIN, "sana", "admin")
    with pytest.raises(NotFound, match="nobody"):
        users.issue_token(store, LOCAL_ADMIN, "nobody")
    with pytest.raises(NotFound):
        users.revoke_token(store, LOCAL_ADMIN, 999)
    assert len(_log(store)) == 1
