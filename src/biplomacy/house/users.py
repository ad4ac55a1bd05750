"""Users, their roles, passwords and API tokens: stored hashed, every change audited.

A `vasp` user is bound to one licensed entity of the register by its LEI and acts only for it. Changing a
user's role, binding or activity bumps its session version, so portal sessions issued before stop working.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from biplomacy.core.errors import InputError, NotFound
from biplomacy.core.permissions import ROLES, VASP, Actor, authorize
from biplomacy.house.audit import record
from biplomacy.house.tables import TokenRow, UserRow
from biplomacy.store.db import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    institution: str
    active: bool
    lei: str | None = None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    try:
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:  # a damaged stored hash never lets anyone in
        return False
    return hmac.compare_digest(got.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: UserRow) -> User:
    return User(row.id, row.name, row.role, row.institution, row.active, row.lei)


def _actor(row: UserRow) -> Actor:
    return Actor(row.name, row.role, row.lei)


def _binding(s, role: str, lei: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """The LEI a user of `role` is bound to: required (a licensed entity) for `vasp`, refused otherwise."""
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
    if role != VASP:
        if lei:
            raise InputError(f"lei: only a vasp user is bound to an entity, not a {role}", field="lei")
        return None
    if not lei:
        raise InputError("lei: a vasp user must be bound to the LEI of a licensed entity of the register",
                         field="lei")
    from biplomacy.supervision.vasp_directory import licensed_entity

    return licensed_entity(s, lei, "lei", "the vasp user's").lei


def add_user(store: Store, actor: Actor, name: str, role: str, institution: str = "",
             password: str | None = None, lei: str | None = None) -> User:
    """A new user with one role; a `vasp` user names the LEI of the licensed entity it acts for."""
    authorize(actor, "users.manage")
    if not _NAME.match(name):
        raise InputError(f"name: {name!r} must be 1-120 letters, digits, '.', '_', '@' or '-'", field="name")
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
    if password is not None and len(password) < 10:
        raise InputError("password: use at least 10 characters", field="password")
    with store.transaction() as s:
        if s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none() is not None:
            raise InputError(f"name: a user called {name!r} already exists", field="name")
        bound = _binding(s, role, lei)
        row = UserRow(name=name, role=role, institution=institution, lei=bound, session_version=0,
                      password_hash=hash_password(password) if password else "", active=True,
                      created_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        record(s, actor=actor.name, action="users.add", subject=f"user/{name}",
               payload={"role": role, "institution": institution, "has_password": password is not None,
                        **({"lei": bound} if bound else {})})
        return _user(row)


def set_role(store: Store, actor: Actor, name: str, role: str, lei: str | None = None) -> User:
    """Give `name` another role (and, for `vasp`, its entity); its open portal sessions end."""
    authorize(actor, "users.manage")
    with store.transaction() as s:
        row = _find(s, name)
        bound = _binding(s, role, lei)
        before = {"role": row.role, "lei": row.lei}
        row.role, row.lei = role, bound
        _bump(row)
        record(s, actor=actor.name, action="users.role", subject=f"user/{name}",
               payload={"from": before, "to": {"role": role, "lei": bound}})
        return _user(row)


def set_active(store: Store, actor: Actor, name: str, active: bool) -> User:
    """Disable (or re-enable) `name`: a disabled user's password, tokens and open sessions stop working."""
    authorize(actor, "users.manage")
    with store.transaction() as s:
        row = _find(s, name)
        if row.active == active:
            raise InputError(f"name: user {name!r} is already {'enabled' if active else 'disabled'}", field="name")
        row.active = active
        _bump(row)
        record(s, actor=actor.name, action="users.enable" if active else "users.disable",
               subject=f"user/{name}", payload={})
        return _user(row)


_FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")


def bind_keys(store: Store, actor: Actor, name: str, fingerprints: list[str]) -> tuple[str, ...]:
    """Tie a signer to the master key fingerprints of their devices: a signature upload by that user is
    accepted only for those keys (the coordinator uploads for any signer, as before)."""
    authorize(actor, "users.manage")
    found = tuple(sorted({f.strip().lower() for f in fingerprints if f.strip()}))
    bad = [f for f in found if not _FINGERPRINT.match(f)]
    if bad or not found or len(found) > 20:
        raise InputError(f"give 1 to 20 master key fingerprints of 8 hex digits (not {', '.join(bad)})",
                         field="fingerprint")
    with store.transaction() as s:
        row = _find(s, name)
        if row.role != "signer":
            raise InputError(f"name: {name} is a {row.role}; only a signer is tied to keys", field="name")
        before = row.key_fingerprints
        row.key_fingerprints = ",".join(found)
        _bump(row)
        record(s, actor=actor.name, action="users.keys", subject=f"user/{name}",
               payload={"from": before.split(",") if before else [], "to": list(found)})
    return found


def key_fingerprints(store: Store, name: str) -> tuple[str, ...]:
    """The key fingerprints a user is tied to (empty when none were bound)."""
    with store.read() as s:
        value = s.execute(select(UserRow.key_fingerprints).where(UserRow.name == name)).scalar_one_or_none()
    return tuple(value.split(",")) if value else ()


def unbound_signers(store: Store) -> list[str]:
    """Active signers tied to no key (doctor reports them)."""
    with store.read() as s:
        return list(s.scalars(select(UserRow.name).where(UserRow.role == "signer", UserRow.active.is_(True),
                                                        UserRow.key_fingerprints == "")))


def list_users(store: Store, actor: Actor) -> list[User]:
    """Every user and role; who holds which role is for admins to see."""
    authorize(actor, "users.manage")
    with store.read() as s:
        return [_user(r) for r in s.execute(select(UserRow).order_by(UserRow.name)).scalars()]


def _find(s, name: str) -> UserRow:  # type: ignore[no-untyped-def]
    """The user's row, locked until the transaction ends (PostgreSQL: FOR NO KEY UPDATE, which rows referring to
    the user do not wait for), so that two changes of one user on different worker processes apply one after
    the other, each to what the other left."""
    row = s.execute(select(UserRow).where(UserRow.name == name).with_for_update(key_share=True)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"user {name!r} does not exist", field="name")
    return row  # type: ignore[no-any-return]


def _bump(row: UserRow) -> None:
    """End the user's open portal sessions: the session version moves on by one, computed by the database at
    write time (`session_version + 1`), so two changes at once (a logout on one worker, a password change on
    another) both move it and no cookie issued in between survives the second."""
    row.session_version = UserRow.session_version + 1  # type: ignore[assignment]


def issue_token(store: Store, actor: Actor, name: str, label: str = "") -> tuple[int, str]:
    """A new API token for `name`: returned once (id, token); only its SHA-256 is kept."""
    authorize(actor, "users.manage")
    token = "bpl_" + secrets.token_urlsafe(32)
    with store.transaction() as s:
        user = _find(s, name)
        row = TokenRow(user_id=user.id, token_hash=_token_hash(token), label=label[:120],
                       created_at=datetime.now(UTC), revoked=False)
        s.add(row)
        s.flush()
        record(s, actor=actor.name, action="users.token.issue", subject=f"user/{name}",
               payload={"token_id": row.id, "label": label})
        return row.id, token


def revoke_token(store: Store, actor: Actor, token_id: int) -> None:
    authorize(actor, "users.manage")
    with store.transaction() as s:
        row = s.get(TokenRow, token_id)
        if row is None:
            raise NotFound(f"token {token_id} does not exist", field="id")
        row.revoked = True
        record(s, actor=actor.name, action="users.token.revoke", subject=f"token/{token_id}", payload={})


def authenticate_password(store: Store, name: str, password: str) -> Actor | None:
    found = authenticate_session(store, name, password)
    return None if found is None else found[0]


_DECOY: list[str] = []  # a password hash to check against when the name has none, made on first use


def _decoy_hash() -> str:
    if not _DECOY:
        _DECOY.append(hash_password(secrets.token_urlsafe(16)))
    return _DECOY[0]


def authenticate_session(store: Store, name: str, password: str) -> tuple[Actor, int] | None:
    """The active user whose password this is, with its session version (for the portal's cookie).

    An unknown, disabled or password-less name costs the same scrypt as a known one (a decoy hash is checked),
    so the answer's timing does not tell which user names exist.
    """
    with store.read() as s:
        row = s.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()
        usable = row is not None and row.active and bool(row.password_hash)
        found = (_actor(row), row.session_version) if usable and row is not None else None
        stored = row.password_hash if usable and row is not None else _decoy_hash()
    matches = check_password(password, stored)
    return found if matches and found is not None else None


def set_password(store: Store, actor: Actor, name: str, password: str) -> User:
    """Set `name`'s portal password (an admin, or the user for itself); every open session of that user ends."""
    if actor.name != name:
        authorize(actor, "users.manage")
    if len(password) < 10:
        raise InputError("password: use at least 10 characters", field="password")
    if len(password) > 1000:
        raise InputError("password: use at most 1000 characters", field="password")
    hashed = hash_password(password)  # scrypt before the row is locked
    with store.transaction() as s:
        row = _find(s, name)
        row.password_hash = hashed
        _bump(row)
        record(s, actor=actor.name, action="users.password", subject=f"user/{name}", payload={})
        return _user(row)


def end_sessions(store: Store, actor: Actor, name: str, why: str = "logout") -> None:
    """End every open portal session of `name` on the server (logout): cookies issued before stop working."""
    if actor.name != name:
        authorize(actor, "users.manage")
    with store.transaction() as s:
        row = _find(s, name)
        _bump(row)
        record(s, actor=actor.name, action="users.sessions.end", subject=f"user/{name}", payload={"why": why})


def session_state(store: Store, name: str) -> tuple[Actor, int] | None:
    """The active user `name` as an actor now, with its session version; None when gone or disabled.

    The portal compares this with what a session cookie says on every signed-in request (one indexed read).
    """
    with store.read() as s:
        row = s.execute(select(UserRow.name, UserRow.role, UserRow.lei, UserRow.session_version,
                               UserRow.active).where(UserRow.name == name)).one_or_none()
    if row is None or not row.active:
        return None
    return Actor(row.name, row.role, row.lei), row.session_version


def actor_for_token(store: Store, token: str) -> Actor | None:
    with store.read() as s:
        row = s.execute(
            select(UserRow).join(TokenRow, TokenRow.user_id == UserRow.id)
            .where(TokenRow.token_hash == _token_hash(token), TokenRow.revoked.is_(False))
        ).scalar_one_or_none()
        return None if row is None or not row.active else _actor(row)
