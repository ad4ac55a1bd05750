"""Who may do what: the one permission table of Biplomacy, and the check every service calls."""

from __future__ import annotations

from dataclasses import dataclass

from biplomacy.core.errors import PermissionDenied

ROLES = ("public", "analyst", "supervisor", "signer", "auditor", "admin", "vasp")
VASP = "vasp"  # a licensed entity's own officer: bound to that entity's LEI, acts only as it


@dataclass(frozen=True, slots=True)
class Actor:
    """The person (or process) acting, with their one role; a `vasp` actor also carries its entity's LEI."""

    name: str
    role: str
    lei: str | None = None


LOCAL_ADMIN = Actor("local-admin", "admin")
ANONYMOUS = Actor("anonymous", "public")

_PUBLIC = set(ROLES)

# action -> roles allowed. The auditor may read everything officers read (every `*.read`, `audit.read`) and
# sign audit checkpoints, and change nothing else. Admin may do everything except sign spends (only signers hold keys) and act as a
# VASP in the travel-rule exchange (only the VASP's own users send and decide; supervisors and admins oversee).
# A `vasp` actor is further scoped to its own entity by the services (see `require_own_entity`).
PERMISSIONS: dict[str, frozenset[str]] = {
    name: frozenset(roles)
    for name, roles in {
        # house
        "sources.read": _PUBLIC,
        "audit.verify": _PUBLIC,
        "audit.read": {"auditor", "supervisor", "admin"},
        "audit.checkpoint": {"auditor", "admin"},
        "users.manage": {"admin"},
        "backup.make": {"admin"},
        "backup.restore": {"admin"},
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
        "returns.file": {"supervisor", "admin", "vasp"},
        "returns.review": {"supervisor", "admin"},
        "solvency.publish": {"supervisor", "admin"},
        "aml.scan": {"supervisor", "admin"},
        "aml.case": {"supervisor", "admin"},
        "aml.stream.quarantine": {"supervisor", "admin"},
        "travelrule.send": {"vasp"},
        "travelrule.decide": {"vasp"},
        "travelrule.erase": {"supervisor", "admin"},
        "travelrule.read": {"vasp", "supervisor", "admin", "auditor"},
        # reads of what supervisors see (dashboards, overdue licences and returns; AML scans, cases, sanctions
        # versions): the auditor reads everything officers read, and changes nothing
        "supervision.read": {"supervisor", "admin", "auditor"},
        "aml.read": {"supervisor", "admin", "auditor"},
        "sanctions.update": {"supervisor", "admin"},
        "stablecoin.review": {"supervisor", "admin"},
        "tax.estimate": {"supervisor", "admin"},
        # peers: exchange bundles (export signs with the program's key; adopting changes what this program uses),
        # what-ifs (stored runs of one program's choices on another's figures; they plan with the energy model)
        "peers.read": _PUBLIC,
        "peers.bundle.export": {"admin"},
        "peers.bundle.adopt": {"supervisor", "admin"},
        "peers.whatif.run": {"analyst", "admin"},
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


def require_own_entity(actor: Actor, lei: str | None, what: str) -> None:
    """Raise PermissionDenied when a `vasp` actor would act for an entity other than its own (by LEI).

    Other roles pass: what they may do is the permission table's business alone.
    """
    if actor.role != VASP:
        return
    if not actor.lei:
        raise PermissionDenied(f"{actor.name} (role vasp) is bound to no entity; an admin must bind it to an LEI")
    if lei != actor.lei:
        raise PermissionDenied(f"{actor.name} (role vasp) acts only for its own entity (LEI {actor.lei}); "
                               f"may not {what} for {lei or 'an entity without an LEI'}")
