"""Who an entity is, as it applied and as the register shows it: one declaration of its identifying fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Identity:
    """The entity's names, LEI, registered address, country and website (the ESMA register's ae_* fields)."""

    legal_name: str
    commercial_name: str
    lei: str | None
    address: str
    country: str
    website: str


    @classmethod
    def of(cls, source: Any) -> Identity:
        """The identity of a licence row, an entity or an application (anything with these attributes)."""
        return cls(source.legal_name, source.commercial_name, source.lei, source.address, source.country,
                   source.website)
