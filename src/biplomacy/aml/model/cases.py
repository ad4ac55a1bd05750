"""The AML case workflow: open -> assigned -> escalated (an STR is filed) -> closed, with reasons checked."""

from __future__ import annotations

from biplomacy.core.errors import InputError

STATES = ("open", "assigned", "escalated", "closed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "escalated", "closed"}),
    "assigned": frozenset({"assigned", "escalated", "closed"}),  # assigned -> assigned hands the case over
    "escalated": frozenset({"closed"}),
    "closed": frozenset(),
}


def check_transition(current: str, target: str, *, reason: str = "", assignee: str = "") -> None:
    """Raise InputError (nothing changes) unless the workflow allows current -> target with what it needs."""
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (final)"
        raise InputError(f"a case {current} cannot become {target} (allowed: {allowed})", field="state")
    if target == "assigned" and not assignee.strip():
        raise InputError("give the user the case is assigned to", field="assign")
    if target in ("escalated", "closed") and not reason.strip():
        raise InputError(f"a case cannot become {target} without a reason", field="reason")
