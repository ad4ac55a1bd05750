"""Who may do what: the one permission table of Biplomacy, and the check every service calls."""

from __future__ import annotations

from dataclasses import dataclass

from biplomacy.errors import PermissionDenied

ROLES = ("public", "analyst", "supervisor", "signer", "auditor", "admin")


@dataclass(frozen=True, slots=True)
class Actor:
    """The person (or process) acting, with their one role."""

    name: str
    role: str


LOCAL_ADMIN = Actor("local-admin", "admin")
ANONYMOUS = Actor("anonymous", "public")

_PUBLIC = {"public", "analyst", "supervisor", "signer", "auditor", "admin"}

# action -> roles allowed. Admin may do everything except sign spends (only signers hold keys).
PERMISSIONS: dict[str, frozenset[str]] = {
    name: frozenset(roles)
    for name, roles in {
        # house
        "sources.read": _PUBLIC,
        "audit.verify": _PUBLIC,
        "audit.read": {"auditor", "supervisor", "admin"},
        "users.manage": {"admin"},
        # energy
        "energy.read": _PUBLIC,
        "energy.plan": {"analyst", "admin"},
        "energy.scenario.write": {"analyst", "admin"},
        # reserve
        "reserve.read": _PUBLIC,
        "reserve.wallet.manage": {"admin"},
        "reserve.chain.rehearse": {"signer", "admin"},
        "reserve.spend.propose": {"admin"},
        "reserve.spend.sign": {"signer"},
        "reserve.spend.broadcast": {"admin"},
        "reserve.ledger.write": {"admin"},
        "reserve.statement.publish": {"admin"},
        # supervision
        "register.read": _PUBLIC,
        "licensing.apply": {"supervisor", "admin"},
        "licensing.review": {"supervisor", "admin"},
        "returns.file": {"supervisor", "admin"},
        "returns.review": {"supervisor", "admin"},
        "solvency.publish": {"supervisor", "admin"},
        "aml.scan": {"supervisor", "admin"},
        "aml.case": {"supervisor", "admin"},
        "travelrule.exchange": {"supervisor", "admin"},
        "sanctions.update": {"supervisor", "admin"},
        "stablecoin.review": {"supervisor", "admin"},
        "tax.estimate": {"supervisor", "admin"},
    }.items()
}

def allowed(role: str, action: str) -> bool:
    """True when `role` may perform `action`; an unknown action or role is never allowed."""
    return role in PERMISSIONS.get(action, frozenset())


def authorize(actor: Actor, action: str) -> None:
    """Raise PermissionDenied unless `actor`'s role may perform `action`."""
    if action not in PERMISSIONS:
        raise PermissionDenied(f"unknown action {action!r}: no role may perform it")
    if actor.role not in ROLES:
        raise PermissionDenied(f"{actor.name} has unknown role {actor.role!r}")
    if not allowed(actor.role, action):
        who = ", ".join(sorted(PERMISSIONS[action]))
        raise PermissionDenied(f"{actor.name} (role {actor.role}) may not {action}; allowed: {who}")
