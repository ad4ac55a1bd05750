"""Routers of the portal: every module in this package that exposes `pages` and/or `api` APIRouters.

Modules are discovered, so each pillar adds its own file (energy.py, reserve_custody.py, ...) without
editing a shared list. `api` routers are mounted under /api/v1; `pages` at the root. house.py goes first.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI


def include_all(app: FastAPI) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    names.sort(key=lambda n: n != "house")
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "api"):
            app.include_router(module.api, prefix="/api/v1")
        if hasattr(module, "pages"):
            app.include_router(module.pages)
