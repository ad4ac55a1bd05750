"""`biplomacy doctor`: is this installation set up as production needs? Each check says ok and why.

Checks: the session secret key (default, short or patterned keys forge admin sessions), the cookie's Secure
flag and TLS in front (public_url https://), the modes of the files that hold secrets and personal data (the
SQLite file, the var folder, the config file, the AML stream state), the database's durability settings
(SQLite WAL + synchronous=FULL; PostgreSQL fsync, synchronous_commit, full_page_writes), that every migration
is applied, and that the audit chain verifies. Nothing is changed.
"""

from __future__ import annotations

import ipaddress
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from biplomacy.core.config import Settings
from biplomacy.core.errors import BiplomacyError
from biplomacy.core.secret_key import HOW_TO_MAKE_ONE, weakness
from biplomacy.house import audit
from biplomacy.store import migrate
from biplomacy.store.db import Store


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_secret(settings: Settings) -> Check:
    problem = weakness(settings.secret_key)
    if problem is None:
        return Check("secret_key", True, "the session secret key is long and random-looking")
    return Check("secret_key", False, f"{problem}; anyone who guesses it can sign in as an admin. Set "
                 f"BIPLOMACY_SECRET_KEY to the output of {HOW_TO_MAKE_ONE}")


def check_tls(settings: Settings) -> Check:
    if settings.public_url.startswith("https://"):
        return Check("tls_in_front", True, f"the portal is published at {settings.public_url} (TLS ends in front of it)")
    if not settings.public_url and _loopback(settings.host) and not settings.trusted_proxies:
        return Check("tls_in_front", False, "no public_url set: fine for one person on this machine, but users on "
                     "the network need TLS in front (a reverse proxy) and BIPLOMACY_PUBLIC_URL=https://...")
    return Check("tls_in_front", False, f"public_url is {settings.public_url or 'unset'}: put TLS in front (a "
                 "reverse proxy with a certificate) and set BIPLOMACY_PUBLIC_URL to its https:// address")


def check_cookie(settings: Settings) -> Check:
    if settings.public_url.startswith("https://"):
        return Check("cookie_secure", True, "session cookies carry the Secure flag (public_url is https://)")
    return Check("cookie_secure", False, "session cookies carry the Secure flag only on requests that arrive over "
                 "https; set BIPLOMACY_PUBLIC_URL=https://... so that a cookie is never sent in clear text")


def _mode_problem(path: Path, private: int) -> str | None:
    """Why `path` is open to more than its owner (`private`: the bits allowed), or None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    extra = mode & ~private & 0o777
    if extra & 0o077:
        return f"{path} is mode {mode:04o}: others on this machine can {'write' if extra & 0o022 else 'read'} it"
    return None


def check_file_modes(settings: Settings, store: Store) -> Check:
    paths: list[tuple[Path, int]] = []
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        paths += [(p, 0o600) for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))]
    paths.append((settings.var_dir, 0o700))
    paths.append((settings.var_dir / "aml-stream", 0o700))
    if settings.config_file is not None:
        paths.append((settings.config_file, 0o600))
    problems = [p for path, bits in paths if path.exists() and (p := _mode_problem(path, bits))]
    if problems:
        return Check("file_modes", False, "; ".join(problems) + " (chmod 600 files, 700 folders)")
    return Check("file_modes", True, "the database, var folder, config file and AML state are private to their owner")


def check_durability(store: Store) -> Check:
    try:
        with store.engine.connect() as conn:
            if store.engine.dialect.name == "sqlite":
                journal = str(conn.execute(text("PRAGMA journal_mode")).scalar()).lower()
                sync = int(conn.execute(text("PRAGMA synchronous")).scalar() or 0)
                if journal == "wal" and sync >= 2:
                    return Check("durability", True, "SQLite: WAL journal, synchronous=FULL (a commit survives power loss)")
                return Check("durability", False, f"SQLite: journal_mode={journal}, synchronous={sync}; WAL and FULL (2) "
                             "are needed for a commit to survive power loss")
            values = {name: str(conn.execute(text(f"SHOW {name}")).scalar())
                      for name in ("fsync", "synchronous_commit", "full_page_writes")}
    except SQLAlchemyError as exc:
        return Check("durability", False, f"could not read the database's settings: {exc}")
    # synchronous_commit=local/remote_write/remote_apply still wait for the local flush; only "off" does not
    bad = {k: v for k, v in values.items() if v not in {"on", "remote_apply", "remote_write", "local"}}
    if bad:
        return Check("durability", False, "PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in bad.items())
                     + "; set them on, or a crash can lose or corrupt acknowledged writes")
    return Check("durability", True, "PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in values.items()))


def check_migrations(store: Store) -> Check:
    try:
        migrate.check_migrated(store)
    except BiplomacyError as exc:
        return Check("migrations", False, str(exc))
    return Check("migrations", True, "every pillar's migrations are applied")


def check_audit(store: Store) -> Check:
    try:
        with store.read() as s:
            result = audit.verify(audit.entries(s))
    except (SQLAlchemyError, BiplomacyError) as exc:
        return Check("audit_chain", False, f"could not read the audit log: {exc}")
    if result.ok:
        return Check("audit_chain", True, f"{result.count} entries chain up to head {result.head_hash}; compare it "
                     "with the last published checkpoint (`audit verify --checkpoint`)")
    return Check("audit_chain", False, result.reason or "the audit chain is broken")


def missing_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings name when it does not exist (doctor must not create it by looking)."""
    try:
        url = make_url(settings.effective_database_url)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by opening the store
        return None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).exists():
        return Path(url.database)
    return None


def check_signers(store: Store) -> Check:
    from biplomacy.house.users import unbound_signers

    loose = unbound_signers(store)
    if loose:
        return Check("signer_keys", False, f"signer(s) {', '.join(loose[:10])} are tied to no key: bind each with "
                     "`biplomacy users keys NAME --fingerprint XXXXXXXX`")
    return Check("signer_keys", True, "every active signer is tied to their keys' fingerprints")


def diagnose(settings: Settings, store: Store | None) -> Report:
    """Every check; the database ones only when it exists, is reachable and migrated."""
    checks = [check_secret(settings), check_cookie(settings), check_tls(settings)]
    if store is None:
        return Report((*checks, Check("database", False, f"{missing_sqlite_file(settings)} does not exist yet; "
                                      "run `biplomacy db upgrade`")))
    try:
        store.check_reachable()
    except BiplomacyError as exc:
        return Report((*checks, Check("database", False, str(exc))))
    checks += [check_file_modes(settings, store), check_durability(store)]
    migrations = check_migrations(store)
    checks.append(migrations)
    if migrations.ok:
        checks += [check_audit(store), check_signers(store)]
    return Report(tuple(checks))
