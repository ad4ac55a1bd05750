"""Users, passwords and API tokens: stored hashed, checked by role, every change audited."""

import json

import pytest
from sqlalchemy import select

from biplomacy.core.errors import InputError, NotFound, PermissionDenied
from biplomacy.core.permissions import LOCAL_ADMIN, Actor
from biplomacy.house import audit, users
from biplomacy.house.tables import TokenRow, UserRow
from tests.vasps import ADVISER, ALPHA, SUSPENDED, UNKNOWN_LEI, register_vasps

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


# --- the vasp role: bound to one licensed entity of the register, by LEI --------------------------------

def test_a_vasp_user_is_bound_to_a_licensed_entity_and_acts_as_it(store):
    register_vasps(store)
    user = users.add_user(store, LOCAL_ADMIN, "alpha-ops", "vasp", "Alpha Exchange", password=PASSWORD,
                          lei=ALPHA[1])
    assert user.lei == ALPHA[1]
    assert users.authenticate_password(store, "alpha-ops", PASSWORD) == Actor("alpha-ops", "vasp", ALPHA[1])
    _, token = users.issue_token(store, LOCAL_ADMIN, "alpha-ops")
    assert users.actor_for_token(store, token) == Actor("alpha-ops", "vasp", ALPHA[1])
    assert json.loads(_log(store)[0].payload)["lei"] == ALPHA[1]
    # an adviser is licensed too: it may have a vasp user (returns), though it cannot exchange transfers
    assert users.add_user(store, LOCAL_ADMIN, "delta", "vasp", lei=ADVISER[1]).lei == ADVISER[1]


@pytest.mark.parametrize(("role", "lei", "message"), [
    ("vasp", None, "must be bound to the LEI"),
    ("vasp", "NOT-AN-LEI", "is not 20 characters"),
    ("vasp", UNKNOWN_LEI, "no entity of the register has this LEI"),
    ("vasp", SUSPENDED[1], "is not licensed \\(state: suspended\\)"),
    ("supervisor", ALPHA[1], "only a vasp user is bound to an entity"),
])
def test_a_bad_binding_is_refused_naming_the_lei_and_nothing_is_stored(store, role, lei, message):
    register_vasps(store)
    with pytest.raises(InputError, match=message) as e:
        users.add_user(store, LOCAL_ADMIN, "x", role, lei=lei)
    assert e.value.field == "lei"
    assert users.list_users(store, LOCAL_ADMIN) == [] and _log(store) == []


def test_role_change_and_disabling_bump_the_session_version_and_are_audited(store):
    register_vasps(store)
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor", password=PASSWORD)
    assert users.session_state(store, "sana") == (Actor("sana", "supervisor"), 0)
    users.set_role(store, LOCAL_ADMIN, "sana", "vasp", lei=ALPHA[1])
    assert users.session_state(store, "sana") == (Actor("sana", "vasp", ALPHA[1]), 1)
    users.set_role(store, LOCAL_ADMIN, "sana", "analyst")
    assert users.session_state(store, "sana") == (Actor("sana", "analyst"), 2)
    users.set_active(store, LOCAL_ADMIN, "sana", False)
    assert users.session_state(store, "sana") is None
    assert users.authenticate_password(store, "sana", PASSWORD) is None
    with pytest.raises(InputError, match="already disabled"):
        users.set_active(store, LOCAL_ADMIN, "sana", False)
    users.set_active(store, LOCAL_ADMIN, "sana", True)
    assert users.session_state(store, "sana") == (Actor("sana", "analyst"), 4)
    assert users.session_state(store, "nobody") is None
    assert [e.action for e in _log(store)] == ["users.add", "users.role", "users.role", "users.disable",
                                                "users.enable"]
    assert json.loads(_log(store)[1].payload) == {"from": {"role": "supervisor", "lei": None},
                                      "to": {"role": "vasp", "lei": ALPHA[1]}}


def test_a_disabled_users_token_stops_working(store):
    users.add_user(store, LOCAL_ADMIN, "bilal", "signer")
    _, token = users.issue_token(store, LOCAL_ADMIN, "bilal")
    users.set_active(store, LOCAL_ADMIN, "bilal", False)
    assert users.actor_for_token(store, token) is None


def test_a_bad_role_change_stores_nothing_and_only_admins_change_roles(store):
    register_vasps(store)
    users.add_user(store, LOCAL_ADMIN, "sana", "supervisor")
    with pytest.raises(InputError, match="must be bound"):
        users.set_role(store, LOCAL_ADMIN, "sana", "vasp")
    with pytest.raises(InputError, match="role"):
        users.set_role(store, LOCAL_ADMIN, "sana", "king")
    with pytest.raises(NotFound):
        users.set_role(store, LOCAL_ADMIN, "ghost", "analyst")
    with pytest.raises(PermissionDenied):
        users.set_role(store, Actor("sana", "supervisor"), "sana", "admin")
    with pytest.raises(PermissionDenied):
        users.set_active(store, Actor("sana", "supervisor"), "sana", False)
    assert users.session_state(store, "sana") == (Actor("sana", "supervisor"), 0)
    assert len(_log(store)) == 1


def test_cli_binds_a_vasp_user_changes_roles_and_disables(cli, store):
    register_vasps(store)
    r = cli("users", "add", "alpha", "--role", "vasp", "--lei", ALPHA[1], "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["lei"] == ALPHA[1] and r.json["role"] == "vasp"
    before = len(_log(store))
    r = cli("users", "add", "gamma", "--role", "vasp", "--lei", SUSPENDED[1])
    assert r.exit_code == 2 and "not licensed (state: suspended)" in r.stderr
    r = cli("users", "role", "alpha", "--role", "vasp", "--lei", UNKNOWN_LEI)
    assert r.exit_code == 2 and "no entity of the register has this LEI" in r.stderr
    assert len(_log(store)) == before
    r = cli("users", "role", "alpha", "--role", "auditor", "--json")
    assert r.exit_code == 0 and r.json["role"] == "auditor" and r.json["lei"] is None
    assert cli("users", "disable", "alpha").exit_code == 0
    r = cli("--as", "alpha", "users", "list")
    assert r.exit_code == 2 and "no active user" in r.stderr
    assert cli("users", "enable", "alpha").exit_code == 0
    assert cli("users", "enable", "alpha").exit_code == 2
    assert [e.action for e in _log(store)][-3:] == ["users.role", "users.disable", "users.enable"]
