"""Every table, one module per pillar; importing this package registers them all on Base.metadata."""

from biplomacy.adapters.store.tables import (
    core,  # noqa: F401
    energy,  # noqa: F401
    reserve,  # noqa: F401
    supervision,  # noqa: F401
)
