"""Routers of the portal, one module per pillar, each exposing `pages` and `api` APIRouters."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

PILLARS = ("house", "energy", "reserve", "supervision", "peers")


def include_all(app: FastAPI) -> None:
    for name in PILLARS:
        try:
            module = importlib.import_module(f"biplomacy.web.routers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"biplomacy.web.routers.{name}":
                continue
            raise
        if hasattr(module, "api"):
            app.include_router(module.api, prefix="/api/v1")
        if hasattr(module, "pages"):
            app.include_router(module.pages)
