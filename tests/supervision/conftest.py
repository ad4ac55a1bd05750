"""Fixtures of the supervision tests; stand-ins for the house's audit and permissions until those land.

The stand-ins follow the published signatures (audit.record(session, actor=, action=, subject=, payload=);
permissions.authorize(actor, action) raising PermissionDenied) and JOURNEYS.md's roles: licensing officers
are `supervisor`, everyone else `public`. Once the real modules exist they are used instead.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest

from biplomacy.errors import PermissionDenied

STAND_IN_GRANTS = {
    "admin": {"*"},
    "supervisor": {"register.read", "licensing.apply", "licensing.review", "returns.file", "returns.review",
                   "solvency.publish"},
    "analyst": {"register.read"}, "signer": {"register.read"}, "auditor": {"register.read", "audit.read"},
    "public": {"register.read"},
}
AUDITED: list[dict[str, Any]] = []


def _install_house_stand_ins() -> None:
    if importlib.util.find_spec("biplomacy.audit") is None:
        audit = types.ModuleType("biplomacy.audit")

        def record(session: Any, *, actor: str, action: str, subject: str, payload: dict[str, Any]) -> None:
            AUDITED.append({"actor": actor, "action": action, "subject": subject, "payload": payload})

        audit.record = record  # type: ignore[attr-defined]
        sys.modules["biplomacy.audit"] = audit
    if importlib.util.find_spec("biplomacy.permissions") is None:
        perms = types.ModuleType("biplomacy.permissions")

        @dataclass(frozen=True)
        class Actor:
            name: str
            role: str

        def authorize(actor: Actor, action: str) -> None:
            grants = STAND_IN_GRANTS.get(actor.role, set())
            if "*" not in grants and action not in grants:
                raise PermissionDenied(f"{actor.name} ({actor.role}) may not {action}")

        perms.Actor = Actor  # type: ignore[attr-defined]
        perms.authorize = authorize  # type: ignore[attr-defined]
        sys.modules["biplomacy.permissions"] = perms
    from biplomacy.cli.context import CliContext

    if not hasattr(CliContext, "actor"):
        from biplomacy.permissions import Actor as RealActor

        CliContext.actor = lambda self: RealActor(self.acting_as or "admin", "admin")  # type: ignore[attr-defined]


_install_house_stand_ins()


@pytest.fixture(autouse=True)
def _fresh_stand_in_audit() -> None:
    AUDITED.clear()
