"""The states a spend proposal and a reserve statement pass through, as the tables store them (plain strings)."""

from __future__ import annotations

from enum import StrEnum


class SpendState(StrEnum):
    """collecting -> ready (M valid signers) -> broadcast; cancelled while open."""

    COLLECTING = "collecting"
    READY = "ready"
    BROADCAST = "broadcast"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Still takes signatures, holds its coins, may be broadcast or cancelled."""
        return self in OPEN_SPEND


OPEN_SPEND = (SpendState.COLLECTING, SpendState.READY)


class StatementState(StrEnum):
    """collecting -> ready (M valid signers) -> final (finalized and published)."""

    COLLECTING = "collecting"
    READY = "ready"
    FINAL = "final"
