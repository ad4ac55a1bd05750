"""The portal's routers: each pillar's web modules, mounted in one place. `api` routers go under /api/v1,
`pages` at the root; the house goes first."""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI

from biplomacy.aml import web as aml_web
from biplomacy.aml import web_travel_rule
from biplomacy.energy import web as energy_web
from biplomacy.energy import web_risk
from biplomacy.house import web as house_web
from biplomacy.house import web_review
from biplomacy.peers import web as peers_web
from biplomacy.peers import web_bundles, web_whatifs
from biplomacy.reserve import web as reserve_web
from biplomacy.reserve import web_statements
from biplomacy.reserve.rehearsal import web as rehearsal_web
from biplomacy.supervision import web as supervision_web

PILLARS: tuple[ModuleType, ...] = (house_web, web_review, aml_web, energy_web, web_risk, web_bundles, web_whatifs,
                                   peers_web, rehearsal_web, reserve_web, web_statements, supervision_web,
                                   web_travel_rule)


def include_all(app: FastAPI) -> None:
    for module in PILLARS:
        if hasattr(module, "api"):
            app.include_router(module.api, prefix="/api/v1")
        if hasattr(module, "pages"):
            app.include_router(module.pages)
