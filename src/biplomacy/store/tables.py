"""The table registry: importing this module registers every pillar's tables on Base.metadata (for Alembic)."""

from biplomacy.aml import tables as aml
from biplomacy.energy import tables as energy
from biplomacy.house import tables as house
from biplomacy.peers import tables as peers
from biplomacy.reserve import tables as reserve
from biplomacy.reserve.rehearsal import tables as rehearsal
from biplomacy.supervision import tables as supervision

__all__ = ["aml", "energy", "house", "peers", "rehearsal", "reserve", "supervision"]
